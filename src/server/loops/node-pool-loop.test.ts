import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ComputeRecord } from '../../domain/compute/compute-record.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { ProviderError, type NodeProvisionRequest, type Provider } from '../../providers/provider.js';
import {
  computeRecord,
  memoryLogger,
  testContext,
  type TestContext,
} from '../../../test/helpers/service-context.js';
import { LoopRunner } from './loop-runner.js';
import { nodePoolLoop, poolKeys, type PoolPlumbing } from './node-pool-loop.js';

/**
 * Plumbing around one fake provider. `broken` computes fail before any backend is asked (a plain
 * error, not a refusal: e.g. a compute whose provider cannot be built); `refusing` ones are refused
 * by the backend (a Slurm QOS limit).
 */
function fakePlumbing() {
  const broken = new Set<string>();
  const refusing = new Set<string>();
  const unreachable = new Set<string>();
  const started: NodeProvisionRequest[] = [];
  const terminated: string[] = [];
  const asked: string[] = [];
  const provider: Provider = {
    name: 'fake',
    provision: (req) => {
      asked.push(req.computeName);
      if (refusing.has(req.computeName))
        return Promise.reject(new ProviderError('refused', `QOSMaxNodePerUserLimit for ${req.computeName}`));
      if (unreachable.has(req.computeName))
        return Promise.reject(
          new ProviderError('unreachable', `cannot reach ${req.computeName}:22: ECONNREFUSED.`),
        );
      started.push(req);
      return Promise.resolve({ nodeId: req.nodeId, ref: `ref-${req.nodeId}`, state: 'running' });
    },
    describe: (nodeId) => Promise.resolve({ nodeId, ref: '', state: 'running' }),
    terminate: (nodeId) => {
      terminated.push(nodeId);
      return Promise.resolve();
    },
    list: () => Promise.resolve([]),
  };
  const plumbing: PoolPlumbing = {
    providerFor: (compute: ComputeRecord) => {
      if (broken.has(compute.name)) throw new Error(`cannot build the provider of ${compute.name}`);
      return provider;
    },
    providerNamed: () => provider,
    agentArgs: [],
    providers: [provider],
    verify: () => Promise.resolve(undefined),
    agentArgsFor: () => [],
    register: () => undefined,
  };
  return { plumbing, broken, refusing, unreachable, started, terminated, asked };
}

const cluster = (name: string, minNodeCount: number): ComputeRecord =>
  computeRecord(name, 'AmlCompute', {
    vmSize: 'STANDARD_DS3_V2',
    scaleSettings: { minNodeCount, maxNodeCount: 4 },
  });

describe('node-pool loop', () => {
  let t: TestContext;
  beforeEach(async () => (t = await testContext()));
  afterEach(() => t.close());

  const nodesOf = async (name: string): Promise<NodeRecord[]> =>
    t.store.nodes.all({ computeId: `id-${name}` });

  it('one failing compute does not stop the others from scaling', async () => {
    const fake = fakePlumbing();
    // a-cluster comes first in the pass; b-cluster and c-cluster after it.
    for (const c of [cluster('a-cluster', 1), cluster('b-cluster', 2), cluster('c-cluster', 1)])
      await t.store.computes.insert(c);
    // A node left behind by a compute that no longer exists: released by the same pass.
    await t.store.nodes.insert({
      id: 'stray-1',
      workspace: 'default',
      computeId: 'id-deleted',
      computeName: 'deleted',
      provider: 'fake',
      state: 'idle',
      slots: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      version: 1,
    });
    fake.broken.add('a-cluster');
    const log = memoryLogger();
    const runner = new LoopRunner(nodePoolLoop(t.ctx, fake.plumbing), t.clock, log);

    await runner.pass();

    expect(await nodesOf('a-cluster')).toHaveLength(0);
    expect(await nodesOf('b-cluster')).toHaveLength(2);
    expect(await nodesOf('c-cluster')).toHaveLength(1);
    expect(fake.started.map((r) => r.computeName)).toEqual(['b-cluster', 'b-cluster', 'c-cluster']);
    expect(fake.terminated).toEqual(['stray-1']);
    expect(await t.store.nodes.get('stray-1')).toBeUndefined();
    // The failure is logged with its compute and backs off that compute alone.
    expect(log.lines.filter((l) => l.level === 'error').map((l) => l.fields.key)).toEqual([
      'compute/default/a-cluster',
    ]);
    expect([...runner.backingOff().keys()]).toEqual(['compute/default/a-cluster']);

    // While it backs off, a-cluster is not tried again; the others stay as they are.
    await runner.pass();
    expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(fake.started).toHaveLength(3);

    // Mended, it scales on the first pass after its backoff (the interval: 1 s) and its backoff is gone.
    fake.broken.delete('a-cluster');
    t.clock.advance(t.ctx.config.reconcileIntervalMs);
    await runner.pass();
    expect(await nodesOf('a-cluster')).toHaveLength(1);
    expect(runner.backingOff().size).toBe(0);
    expect(await nodesOf('b-cluster')).toHaveLength(2);
  });

  it('a backend refusal shows on its compute, the others still scale, and the pause is per server', async () => {
    const fake = fakePlumbing();
    for (const c of [cluster('a-cluster', 1), cluster('b-cluster', 1)]) await t.store.computes.insert(c);
    fake.refusing.add('a-cluster');
    const first = new LoopRunner(nodePoolLoop(t.ctx, fake.plumbing), t.clock, memoryLogger());

    await first.pass();

    expect(await nodesOf('a-cluster')).toHaveLength(0); // the record made before asking is gone again
    expect(await nodesOf('b-cluster')).toHaveLength(1);
    const a = await t.store.computes.get('default', 'a-cluster');
    expect(a?.status.observed.errors).toEqual([
      { code: 'ProviderError', message: 'QOSMaxNodePerUserLimit for a-cluster' },
    ]);
    const events = await t.store.events.list(
      { workspace: 'default', resource: 'compute/a-cluster' },
      { top: 100 },
    );
    expect(events.items.map((e) => e.reason)).toContain('ScaleUpBlockedByBackend');
    // A refusal is an answer, not a failure of the pass: no backoff, the pause is the pool's own.
    expect(first.backingOff().size).toBe(0);
    expect(fake.asked.filter((n) => n === 'a-cluster')).toHaveLength(1);

    t.clock.advance(1000);
    await first.pass();
    expect(fake.asked.filter((n) => n === 'a-cluster')).toHaveLength(1); // paused

    // Another server in the same process keeps its own record of refusals: it asks at once.
    const second = new LoopRunner(nodePoolLoop(t.ctx, fake.plumbing), t.clock, memoryLogger());
    await second.pass();
    expect(fake.asked.filter((n) => n === 'a-cluster')).toHaveLength(2);

    // After the pause the first asks again; accepted now, the error clears.
    fake.refusing.delete('a-cluster');
    t.clock.advance(10_000);
    await first.pass();
    expect(await nodesOf('a-cluster')).toHaveLength(1);
    expect((await t.store.computes.get('default', 'a-cluster'))?.status.observed.errors).toEqual([]);
  });

  it('a refused compute is asked again at once when its spec changes', async () => {
    const fake = fakePlumbing();
    await t.store.computes.insert(cluster('a-cluster', 1));
    fake.refusing.add('a-cluster');
    const runner = new LoopRunner(nodePoolLoop(t.ctx, fake.plumbing), t.clock, memoryLogger());
    await runner.pass();
    await runner.pass();
    expect(fake.asked).toEqual(['a-cluster']); // paused
    const a = await t.store.computes.get('default', 'a-cluster');
    if (!a) throw new Error('a-cluster is gone');
    await t.store.computes.update({ ...a, spec: { ...a.spec, description: 'another partition' } });
    await runner.pass();
    expect(fake.asked).toEqual(['a-cluster', 'a-cluster']);
  });

  it('an unreachable backend shows on its compute and backs off that key exponentially', async () => {
    const fake = fakePlumbing();
    for (const c of [cluster('a-cluster', 1), cluster('b-cluster', 1)]) await t.store.computes.insert(c);
    fake.unreachable.add('a-cluster');
    const runner = new LoopRunner(nodePoolLoop(t.ctx, fake.plumbing), t.clock, memoryLogger());

    await runner.pass();
    expect(await nodesOf('a-cluster')).toHaveLength(0);
    expect(await nodesOf('b-cluster')).toHaveLength(1);
    expect((await t.store.computes.get('default', 'a-cluster'))?.status.observed.errors).toEqual([
      { code: 'ProviderError', message: 'cannot reach a-cluster:22: ECONNREFUSED.' },
    ]);
    expect(runner.backingOff().get('compute/default/a-cluster')?.failures).toBe(1);

    // Backing off: not asked before its time; asked again after it, and backs off longer when still down.
    await runner.pass();
    expect(fake.asked.filter((n) => n === 'a-cluster')).toHaveLength(1);
    t.clock.advance(t.ctx.config.reconcileIntervalMs);
    await runner.pass();
    expect(fake.asked.filter((n) => n === 'a-cluster')).toHaveLength(2);
    expect(runner.backingOff().get('compute/default/a-cluster')?.failures).toBe(2);

    // Back: the node starts and the error clears.
    fake.unreachable.delete('a-cluster');
    t.clock.advance(2 * t.ctx.config.reconcileIntervalMs);
    await runner.pass();
    expect(await nodesOf('a-cluster')).toHaveLength(1);
    expect((await t.store.computes.get('default', 'a-cluster'))?.status.observed.errors).toEqual([]);
    expect(runner.backingOff().size).toBe(0);
  });
});

describe('poolKeys (pure)', () => {
  const node = (id: string, computeId: string, state: NodeRecord['state'] = 'idle'): NodeRecord => ({
    id,
    workspace: 'default',
    computeId,
    computeName: computeId,
    provider: 'fake',
    state,
    slots: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    version: 1,
  });

  it('retires run-based computes first, then one key per pooled compute, then nodes that leave on their own account', () => {
    const runBased = computeRecord('run1', 'AmlCompute', {}, { runFor: 'job-1' });
    const creating = computeRecord(
      'new',
      'AmlCompute',
      {},
      { status: { provisioningState: 'Creating', provisioningErrors: [], observed: {} } },
    );
    const attached = computeRecord('bricks', 'Databricks', {});
    const pool = cluster('pool', 0);
    const keys = poolKeys({
      computes: [runBased, creating, attached, pool],
      nodesByCompute: new Map([
        [
          'id-pool',
          [node('p-1', 'id-pool'), node('p-2', 'id-pool', 'preempted'), node('p-3', 'id-pool', 'preempted')],
        ],
        ['id-gone', [node('g-1', 'id-gone')]],
        ['local:default/my-job', [node('l-1', 'local:default/my-job')]],
      ]),
      busyNodes: new Set(['p-3']),
    });
    expect(keys.map((k) => `${k.kind}:${'compute' in k ? k.compute.name : k.node.id}`)).toEqual([
      'retire:run1',
      'pool:run1',
      'pool:pool',
      'release:p-2', // preempted and its job gone back to the queue; p-3 still holds one
      'release:g-1', // its compute no longer exists
      'local:l-1', // kept while its one job runs
    ]);
  });
});
