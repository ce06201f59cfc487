import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../../../test/helpers/service-context.js';
import { ComputeService } from '../services/compute-service.js';
import { WorkspaceService } from '../services/workspace-service.js';
import { SnapshotService } from '../snapshots/snapshot-service.js';
import { JobService } from './job-service.js';
import { jobSubmissionSchema } from './job-submission.js';

/** A request body as the route hands it over: parsed by the submission schema. */
const body = (spec: Record<string, unknown>) => jobSubmissionSchema.parse({ spec });

// The job service over a real in-memory store and a fake clock: milliseconds, no processes.
let t: TestContext;
let jobs: JobService;

beforeEach(async () => {
  t = await testContext();
  await new WorkspaceService(t.ctx).ensureDefault();
  const computes = new ComputeService(t.ctx);
  jobs = new JobService(t.ctx, new SnapshotService(t.ctx), computes);
  const cluster = { vmSize: 'STANDARD_D2_V2', scaleSettings: { minNodeCount: 0, maxNodeCount: 4 } };
  await computes.createOrUpdate(
    'default',
    'cpu',
    { properties: { computeType: 'AmlCompute', properties: cluster } },
    { objectId: 'admin' },
  );
});
afterEach(async () => t.close());

describe('JobService', () => {
  it('a multi-node job is the parent and one hidden rank per node, written together', async () => {
    const spec = {
      command: 'true',
      compute: 'cpu',
      resources: { instance_count: 3 },
      distribution: { type: 'pytorch' },
    };
    const { job } = await jobs.submit('default', 'ddp', body(spec));
    expect(job).toMatchObject({ name: 'ddp', status: 'Queued', gang: { size: 3 } });
    const all = await t.store.jobs.all({ workspace: 'default' });
    expect(all.filter((j) => j.gang?.parent === 'ddp').map((j) => j.gang?.rank)).toEqual([0, 1, 2]);
    // Lists show the job users submitted, not its ranks.
    expect((await jobs.list('default', {}, { top: 10 })).items.map((j) => j.name)).toEqual(['ddp']);
  });

  it('a duplicate name is refused and writes nothing more', async () => {
    await jobs.submit('default', 'once', body({ command: 'true', compute: 'cpu' }));
    await expect(
      jobs.submit(
        'default',
        'once',
        body({ command: 'true', compute: 'cpu', resources: { instance_count: 2 } }),
      ),
    ).rejects.toMatchObject({ code: 'NameConflict' });
    expect((await t.store.jobs.all({ workspace: 'default' })).map((j) => j.name)).toEqual(['once']);
  });

  it('cancel of a queued job ends it at once, at the clock time', async () => {
    await jobs.submit('default', 'waiting', body({ command: 'sleep 1', compute: 'cpu' }));
    t.clock.advance(60_000);
    const canceled = await jobs.cancel('default', 'waiting');
    expect(canceled).toMatchObject({ status: 'Canceled', endTime: t.clock.now().toISOString() });
  });
});
