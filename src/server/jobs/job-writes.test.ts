import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobRecord, JobState } from '../../domain/jobs/job-record.js';
import { testContext, type TestContext } from '../../../test/helpers/service-context.js';
import { wakes, type WakeScope } from '../loops/wake-scope.js';
import { updateJob } from './job-writes.js';

const job = (name: string, status: JobState, over: Partial<JobRecord> = {}): JobRecord => ({
  name,
  workspace: 'default',
  spec: { command: 'echo' },
  computeName: 'cpu',
  experimentName: 'e',
  status,
  priority: 0,
  queueSeq: 1,
  attempts: [],
  delivered: false,
  cancelRequested: false,
  run: {
    command: 'echo',
    environment: { kind: 'user-managed' },
    env: {},
    inputs: [],
    instanceCount: 1,
    maxAttempts: 1,
  },
  createdAt: '2026-01-01T00:00:00.000Z',
  modifiedAt: '2026-01-01T00:00:00.000Z',
  version: 1,
  ...over,
});

/** The loops that read every active job on each pass. */
const jobReaders = ['node-pool', 'pipelines', 'sweeps'];

describe('updateJob wake-ups', () => {
  let t: TestContext;
  let woken: (WakeScope | undefined)[];
  beforeEach(async () => {
    t = await testContext();
    woken = [];
  });
  afterEach(() => t.close());
  const ctx = () => ({ ...t.ctx, wake: (scope?: WakeScope) => void woken.push(scope) });
  const move = async (j: JobRecord, to: JobState): Promise<void> => {
    await t.store.jobs.insert(j);
    await updateJob(ctx(), j, (c) => ({ ...c, status: to }));
  };

  it('a plain job moving between active states wakes the loops but those that read every job', async () => {
    await move(job('plain', 'Preparing'), 'Running');
    expect(woken).toHaveLength(1);
    expect(jobReaders.filter((l) => wakes(woken[0], l))).toEqual([]);
    expect(wakes(woken[0], 'scheduler')).toBe(true);
  });

  it('a job that ends, a child job and a parent job wake every loop', async () => {
    await move(job('ends', 'Running'), 'Completed');
    await move(job('trial', 'Preparing', { parentJobName: 'sweep-1' }), 'Running');
    await move(job('sweep-1', 'Queued', { controller: 'sweep' }), 'Running');
    expect(woken).toEqual([undefined, undefined, undefined]);
  });

  it('a write that keeps the status wakes nothing', async () => {
    const j = job('same', 'Running');
    await t.store.jobs.insert(j);
    await updateJob(ctx(), j, (c) => ({ ...c, statusReason: 'still running' }));
    expect(woken).toEqual([]);
  });
});
