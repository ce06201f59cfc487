import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { queuedJob } from '../../domain/jobs/test-jobs.js';
import {
  computeRecord,
  memoryLogger,
  registeredNode,
  testContext,
  type TestContext,
} from '../../../test/helpers/service-context.js';
import { LoopRunner } from './loop-runner.js';
import { kindChangesPerPass, schedulerLoop } from './scheduler-loop.js';

const node = registeredNode('n1', { computeId: 'id-cpu-cluster', computeName: 'cpu-cluster' });

describe('scheduler loop', () => {
  let t: TestContext;
  beforeEach(async () => (t = await testContext()));
  afterEach(() => t.close());

  it('places the head of the queue and writes new kinds of wait in queue order, a bounded number per pass', async () => {
    await t.store.computes.insert(
      computeRecord('cpu-cluster', 'AmlCompute', {
        vmSize: 'STANDARD_DS3_V2',
        scaleSettings: { minNodeCount: 0, maxNodeCount: 1 },
      }),
    );
    await t.store.nodes.insert(node);
    const old = 'waiting for cpu-cluster to provision a node (0/1 nodes)';
    const cap = kindChangesPerPass;
    const count = Math.floor(cap * 2.5);
    await t.store.transaction(async () => {
      for (let i = 0; i < count; i++)
        await t.store.jobs.insert(
          queuedJob({ name: `j${String(i).padStart(4, '0')}`, queueSeq: i + 1, reason: old }),
        );
    });
    const runner = new LoopRunner(schedulerLoop(t.ctx), t.clock, memoryLogger());
    const told = async (): Promise<string[]> =>
      (await t.store.jobs.all({ statuses: ['Queued'] }))
        .filter((j) => j.reason?.startsWith('waiting for a free slot'))
        .map((j) => j.name)
        .sort();
    await runner.pass();
    const placed = (await t.store.jobs.all({ statuses: ['Queued'] })).filter((j) => j.nodeId);
    expect(placed.map((j) => [j.name, j.nodeId])).toEqual([['j0000', 'n1']]);
    // The next ones in queue order know why they wait now; the others in the next passes.
    const first = await told();
    expect(first.length).toBe(cap);
    expect(first[0]).toBe('j0001');
    expect(first.at(-1)).toBe(`j${String(cap).padStart(4, '0')}`);
    await runner.pass();
    expect((await told()).length).toBe(2 * cap);
    await runner.pass();
    expect((await told()).length).toBe(count - 1);
    // Nothing left to write: a pass changes no job.
    const versions = async (): Promise<number[]> =>
      (await t.store.jobs.all({ statuses: ['Queued'] })).map((j) => j.version);
    const before = await versions();
    await runner.pass();
    expect(await versions()).toEqual(before);
  });

  it('decides again when only the nodes changed (a pass over the very same jobs reuses its sorting only)', async () => {
    await t.store.computes.insert(
      computeRecord('cpu-cluster', 'AmlCompute', {
        vmSize: 'STANDARD_DS3_V2',
        scaleSettings: { minNodeCount: 0, maxNodeCount: 2 },
      }),
    );
    await t.store.nodes.insert({ ...node, state: 'running' });
    await t.store.jobs.insert(queuedJob({ name: 'busy', status: 'Running', nodeId: 'n1', delivered: true }));
    for (const [i, name] of ['a', 'b'].entries())
      await t.store.jobs.insert(queuedJob({ name, queueSeq: i + 2, computeName: 'cpu-cluster' }));
    const runner = new LoopRunner(schedulerLoop(t.ctx), t.clock, memoryLogger());
    // The first pass writes why a and b wait; the second finds nothing to change.
    await runner.pass();
    await runner.pass();
    const waiting = await t.store.jobs.all({ statuses: ['Queued'] });
    expect(waiting.map((j) => [j.name, j.nodeId, j.reason])).toEqual([
      ['a', undefined, 'waiting for a free slot on cpu-cluster (1/1 busy)'],
      ['b', undefined, 'waiting for a free slot on cpu-cluster (1/1 busy)'],
    ]);
    // A second node registers: no job changed, and the head of the queue goes to it.
    await t.store.nodes.insert(
      registeredNode('n2', { computeId: 'id-cpu-cluster', computeName: 'cpu-cluster' }),
    );
    await runner.pass();
    const after = await t.store.jobs.all({ statuses: ['Queued'] });
    expect(after.map((j) => [j.name, j.nodeId])).toEqual([
      ['a', 'n2'],
      ['b', undefined],
    ]);
  });
});
