import { describe, expect, it } from 'vitest';
import type { ComputeRecord, ComputeSpec } from '../domain/compute/compute-record.js';
import type { EnvironmentRecord } from '../domain/environments/environment-record.js';
import type { JobRecord } from '../domain/jobs/job-record.js';
import type { NodeRecord } from '../domain/nodes/node-record.js';
import type { WorkspaceRecord } from '../domain/workspace/workspace.js';
import { assetContractCases } from './asset-contract.js';
import { endpointContractCases } from './endpoint-contract.js';
import type { Store } from './store.js';

/** How a contract run gets a fresh, migrated store (and, optionally, reopens the same data). */
export type StoreFactory = () => Promise<{
  store: Store;
  reopen?: () => Promise<Store>;
  cleanup: () => Promise<void>;
}>;

const at = (n: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
const ws = (name: string, location = 'local'): WorkspaceRecord => ({
  name,
  location,
  tags: { t: name },
  locks: [],
  createdAt: at(0),
  modifiedAt: at(0),
  version: 1,
});
const compute = (
  workspace: string,
  name: string,
  location = 'local',
  type: ComputeRecord['spec']['computeType'] = 'AmlCompute',
): ComputeRecord => ({
  id: `${workspace}-${name}-${location}`,
  workspace,
  name,
  createdAt: at(1),
  modifiedAt: at(1),
  version: 1,
  spec: {
    computeType: type,
    location,
    description: 'd',
    tags: { k: 'v' },
    identity: { type: 'None' },
    properties: {
      vmSize: 'Standard_D2_v2',
      scaleSettings: { minNodeCount: 0, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: 'PT120S' },
    } as ComputeSpec['properties'],
    secretPaths: [],
  } as ComputeSpec,
  status: { provisioningState: 'Creating', provisioningErrors: [], observed: { currentNodeCount: 0 } },
});
const job = (name: string, seq: number, extra: Partial<JobRecord> = {}): JobRecord => ({
  name,
  workspace: 'default',
  spec: { command: 'echo' },
  computeName: 'cpu',
  experimentName: 'exp',
  status: 'Queued',
  priority: 0,
  queueSeq: seq,
  attempts: [],
  delivered: false,
  cancelRequested: false,
  run: {
    command: 'echo',
    environment: { kind: 'user-managed' },
    env: { A: '1' },
    inputs: [],
    instanceCount: 1,
    maxAttempts: 1,
  },
  createdAt: at(seq),
  modifiedAt: at(seq),
  version: 1,
  ...extra,
});
const node = (id: string, computeId: string): NodeRecord => ({
  id,
  workspace: 'default',
  computeId,
  computeName: 'cpu',
  provider: 'local',
  state: 'preparing',
  tokenHash: `t-${id}`,
  slots: 2,
  createdAt: at(2),
  version: 1,
});

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

/**
 * The contract every Store implementation passes (SQLite now, PostgreSQL later): round trips
 * keep every field, names clash where they should, optimistic concurrency, paging, filters.
 */
export function describeStoreContract(name: string, open: StoreFactory): void {
  const withStore = (fn: (s: Store, reopen?: () => Promise<Store>) => Promise<void>) => async () => {
    const { store, reopen, cleanup } = await open();
    try {
      await fn(store, reopen);
    } finally {
      await cleanup();
    }
  };

  describe(`store contract: ${name}`, () => {
    assetContractCases((fn) => withStore((store) => fn(store)));
    endpointContractCases((fn) => withStore((store) => fn(store)));
    it(
      'migrations are idempotent',
      withStore(async (s) => {
        const v = await s.migrate();
        expect(await s.migrate()).toBe(v);
      }),
    );

    it(
      'workspaces: insert, get, list, optimistic update, delete',
      withStore(async (s) => {
        await s.workspaces.insert(ws('a'));
        await expectCode(s.workspaces.insert(ws('a')), 'NameConflict');
        expect(await s.workspaces.get('a')).toEqual(ws('a'));
        await s.workspaces.update({ ...ws('a'), locks: [{ name: 'l', level: 'ReadOnly' }] });
        await expectCode(s.workspaces.update(ws('a')), 'Conflict');
        expect((await s.workspaces.get('a'))?.locks).toEqual([{ name: 'l', level: 'ReadOnly' }]);
        expect(await s.workspaces.delete('a')).toBe(true);
        expect(await s.workspaces.get('a')).toBeUndefined();
      }),
    );

    it(
      'computes: unique per location across workspaces, case-insensitive; round trip keeps every field',
      withStore(async (s) => {
        await s.computes.insert(compute('w1', 'cpu'));
        await expectCode(s.computes.insert(compute('w2', 'CPU')), 'NameConflict');
        await s.computes.insert(compute('w2', 'cpu', 'lab'));
        expect(await s.computes.get('w1', 'cpu')).toEqual(compute('w1', 'cpu'));
        expect(await s.computes.getById(compute('w2', 'cpu', 'lab').id)).toEqual(compute('w2', 'cpu', 'lab'));
        const next = compute('w1', 'cpu');
        await s.computes.updateStatus(next.id, (c) => ({
          status: { ...c.status, provisioningState: 'Succeeded' },
        }));
        expect((await s.computes.all({ provisioningState: 'Succeeded' })).map((c) => c.id)).toEqual([
          next.id,
        ]);
        expect(await s.computes.all({ provisioningState: 'Creating' })).toHaveLength(1);
        expect((await s.computes.all({ location: 'lab' })).length).toBe(1);
        expect(await s.computes.delete(next.id)).toBe(true);
        await s.computes.insert(compute('w2', 'cpu'));
      }),
    );

    it(
      'computes: pages visit every item once, filters by type and workspace',
      withStore(async (s) => {
        for (let i = 0; i < 7; i++)
          await s.computes.insert(compute('w', `c${i}`, 'local', i % 2 ? 'AKS' : 'AmlCompute'));
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const page = await s.computes.list(
            { workspace: 'w' },
            token === undefined ? { top: 3 } : { top: 3, skipToken: token },
          );
          seen.push(...page.items.map((c) => c.name));
          token = page.skipToken;
        } while (token);
        expect(seen.sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
        expect((await s.computes.all({ computeType: 'AKS' })).length).toBe(3);
      }),
    );

    it(
      'secrets and events',
      withStore(async (s) => {
        await s.secrets.put('o1', 'a.b', 'cipher-1');
        await s.secrets.put('o1', 'a.b', 'cipher-2');
        expect(await s.secrets.list('o1')).toEqual({ 'a.b': 'cipher-2' });
        await s.secrets.deleteOwner('o1');
        expect(await s.secrets.list('o1')).toEqual({});
        for (let i = 0; i < 5; i++)
          await s.events.append({
            at: at(i),
            workspace: 'w',
            resource: i % 2 ? 'compute/a' : 'compute/b',
            reason: 'R',
            message: `m${i}`,
            level: 'Info',
          });
        const a = await s.events.list({ workspace: 'w', resource: 'compute/a' }, { top: 10 });
        expect(a.items.map((e) => e.message)).toHaveLength(2);
        const first = await s.events.list({ workspace: 'w' }, { top: 2 });
        expect(first.items).toHaveLength(2);
        expect(first.skipToken).toBeDefined();
      }),
    );

    it(
      'jobs: names unique per workspace, queue sequence increases, filters, newest first',
      withStore(async (s) => {
        await s.jobs.insert(job('j1', 1));
        await expectCode(s.jobs.insert(job('j1', 2)), 'NameConflict');
        await s.jobs.insert({ ...job('j1', 2), workspace: 'other' });
        await s.jobs.insert(job('j2', 3, { status: 'Running', nodeId: 'n1' }));
        expect(await s.jobs.get('default', 'j2')).toEqual(job('j2', 3, { status: 'Running', nodeId: 'n1' }));
        expect((await s.jobs.all({ statuses: ['Running'] })).map((j) => j.name)).toEqual(['j2']);
        expect((await s.jobs.all({ nodeId: 'n1' })).map((j) => j.name)).toEqual(['j2']);
        expect((await s.jobs.list({ workspace: 'default' }, { top: 10 })).items.map((j) => j.name)).toEqual([
          'j2',
          'j1',
        ]);
        await s.jobs.update({ ...job('j1', 1), status: 'Completed' });
        await expectCode(s.jobs.update(job('j1', 1)), 'Conflict');
        expect((await s.jobs.all({ statuses: ['Completed'] })).map((j) => j.name)).toEqual(['j1']);
        const a = await s.jobs.nextQueueSeq();
        expect(await s.jobs.nextQueueSeq()).toBeGreaterThan(a);
      }),
    );

    it(
      'jobs: found by the snapshots they read and write (code, inputs, outputs, checkpoint), ranks included',
      withStore(async (s) => {
        const h = (c: string): string => c.repeat(64);
        await s.jobs.insert(
          job('code', 1, {
            run: {
              ...job('code', 1).run,
              snapshotId: h('a'),
              inputs: [{ name: 'd', snapshotId: h('b'), path: 'inputs/d' }],
            },
          }),
        );
        await s.jobs.insert({
          ...job('out', 2, { outputsSnapshotId: h('c'), checkpointSnapshotId: h('a') }),
          workspace: 'other',
        });
        // Named elsewhere in the document (a tag) is not a reference.
        await s.jobs.insert(job('mention', 3, { spec: { tags: { note: h('c') } } }));
        expect((await s.jobs.referencing(h('a'))).map((j) => `${j.workspace}/${j.name}`)).toEqual([
          'default/code',
          'other/out',
        ]);
        expect((await s.jobs.referencing(h('b'))).map((j) => j.name)).toEqual(['code']);
        expect((await s.jobs.referencing(h('c'))).map((j) => j.name)).toEqual(['out']);
        expect(await s.jobs.referencing(h('d'))).toEqual([]);
      }),
    );

    it(
      'workspaces: a list can keep to given names (lower case), paging through them',
      withStore(async (s) => {
        for (const n of ['Alpha', 'beta', 'gamma', 'delta']) await s.workspaces.insert(ws(n));
        const first = await s.workspaces.list({ top: 1 }, ['alpha', 'gamma', 'nope']);
        expect(first.items.map((w) => w.name)).toEqual(['Alpha']);
        const rest = await s.workspaces.list(
          { top: 1, ...(first.skipToken ? { skipToken: first.skipToken } : {}) },
          ['alpha', 'gamma', 'nope'],
        );
        expect(rest.items.map((w) => w.name)).toEqual(['gamma']);
        expect(rest.skipToken).toBeUndefined();
        expect((await s.workspaces.list({ top: 10 }, [])).items).toEqual([]);
        expect((await s.workspaces.list({ top: 10 })).items).toHaveLength(4);
      }),
    );

    it(
      'jobs: ranks of a multi-node job are in all() but not in lists',
      withStore(async (s) => {
        const distribution = { type: 'pytorch' as const, processCountPerInstance: 1 };
        await s.jobs.insert(job('multi', 1, { gang: { size: 2, distribution } }));
        await s.jobs.insert(
          job('multi_rank0', 1, { gang: { size: 2, rank: 0, parent: 'multi', distribution } }),
        );
        expect((await s.jobs.list({ workspace: 'default' }, { top: 10 })).items.map((j) => j.name)).toEqual([
          'multi',
        ]);
        expect((await s.jobs.all({ workspace: 'default' })).map((j) => j.name).sort()).toEqual([
          'multi',
          'multi_rank0',
        ]);
      }),
    );

    it(
      'jobs: children (parentJobName, at insert or by update) are in all() but not in lists, pages stay full',
      withStore(async (s) => {
        await s.jobs.insert(job('sweep', 1));
        await s.jobs.insert(job('sweep_trial0', 2, { parentJobName: 'sweep' }));
        await s.jobs.insert(job('plain', 3));
        await s.jobs.insert(job('sweep_trial1', 4, { parentJobName: 'sweep' }));
        // A pipeline step is marked as a child after it is recorded.
        await s.jobs.insert(job('pipe_step', 5));
        const step = await s.jobs.get('default', 'pipe_step');
        await s.jobs.update({ ...(step as JobRecord), parentJobName: 'pipe' });
        await s.jobs.insert(job('pipe', 6));
        const names: string[] = [];
        let skipToken: string | undefined;
        do {
          const page = await s.jobs.list(
            { workspace: 'default' },
            { top: 1, ...(skipToken ? { skipToken } : {}) },
          );
          // Every page but the last is full: children are filtered in the query, not out of a page.
          expect(page.items).toHaveLength(1);
          names.push(...page.items.map((j) => j.name));
          skipToken = page.skipToken;
        } while (skipToken);
        expect(names).toEqual(['pipe', 'plain', 'sweep']);
        expect((await s.jobs.all({ workspace: 'default' })).map((j) => j.name)).toEqual([
          'sweep',
          'sweep_trial0',
          'plain',
          'sweep_trial1',
          'pipe_step',
          'pipe',
        ]);
      }),
    );

    it(
      'jobs: the family filter keeps sweeps, pipelines and children (marked at insert or by update)',
      withStore(async (s) => {
        await s.jobs.insert(job('plain', 1));
        await s.jobs.insert(job('sweep', 2, { controller: 'sweep' }));
        await s.jobs.insert(job('trial', 3, { parentJobName: 'sweep' }));
        await s.jobs.insert(job('step', 4));
        await s.jobs.insert(job('done_trial', 5, { parentJobName: 'sweep', status: 'Completed' }));
        const family = async (): Promise<string[]> =>
          (await s.jobs.all({ statuses: ['Queued'], family: true })).map((j) => j.name);
        expect(await family()).toEqual(['sweep', 'trial']);
        // A pipeline step becomes a child by an update; a child that ends leaves the answer.
        const step = (await s.jobs.get('default', 'step')) as JobRecord;
        await s.jobs.update({ ...step, parentJobName: 'pipe' });
        expect(await family()).toEqual(['sweep', 'trial', 'step']);
        const trial = (await s.jobs.get('default', 'trial')) as JobRecord;
        await s.jobs.update({ ...trial, status: 'Completed' });
        expect(await family()).toEqual(['sweep', 'step']);
        expect((await s.jobs.all({ family: true })).map((j) => j.name)).toEqual([
          'sweep',
          'trial',
          'step',
          'done_trial',
        ]);
      }),
    );

    it(
      'jobs: demand per compute (ranks and controllers left out) and busy nodes, kept current by writes',
      withStore(async (s) => {
        const distribution = { type: 'pytorch' as const, processCountPerInstance: 1 };
        const run = (n: number): JobRecord['run'] => ({ ...job('x', 0).run, instanceCount: n });
        await s.jobs.insert(job('a', 1));
        await s.jobs.insert(job('b', 2, { status: 'Running', nodeId: 'n1' }));
        await s.jobs.insert(job('multi', 3, { gang: { size: 2, distribution }, run: run(2) }));
        await s.jobs.insert(
          job('multi_rank0', 4, { gang: { size: 2, rank: 0, parent: 'multi', distribution }, nodeId: 'n2' }),
        );
        await s.jobs.insert(job('sweep', 5, { controller: 'sweep', run: run(7) }));
        await s.jobs.insert(job('gpu', 6, { computeName: 'gpu', run: run(3) }));
        await s.jobs.insert({ ...job('elsewhere', 7), workspace: 'other' });
        await s.jobs.insert(job('done', 8, { status: 'Completed', nodeId: 'n3' }));
        const demand = async (): Promise<[Record<string, number>, string[]]> => {
          const d = await s.jobs.demand();
          return [Object.fromEntries(d.byCompute), [...d.busyNodes].sort()];
        };
        expect(await demand()).toEqual([
          { 'default/cpu': 4, 'default/gpu': 3, 'other/cpu': 1 },
          ['n1', 'n2'],
        ]);
        // Updates move a job's part: b ends, a goes to a node, gpu is canceled, a new job joins.
        const b = (await s.jobs.get('default', 'b')) as JobRecord;
        await s.jobs.update({ ...b, status: 'Completed' });
        const a = (await s.jobs.get('default', 'a')) as JobRecord;
        await s.jobs.update({ ...a, status: 'Preparing', nodeId: 'n3' });
        const gpu = (await s.jobs.get('default', 'gpu')) as JobRecord;
        await s.jobs.update({ ...gpu, status: 'Canceled' });
        await s.jobs.insert(job('late', 9, { run: run(5) }));
        expect(await demand()).toEqual([{ 'default/cpu': 8, 'other/cpu': 1 }, ['n2', 'n3']]);
        // A rolled-back write leaves the counts as they were.
        await expect(
          s.transaction(async () => {
            await s.jobs.insert(job('half', 10, { nodeId: 'n9' }));
            await s.jobs.insert(job('late', 11));
          }),
        ).rejects.toMatchObject({ code: 'NameConflict' });
        expect(await demand()).toEqual([{ 'default/cpu': 8, 'other/cpu': 1 }, ['n2', 'n3']]);
      }),
    );

    it(
      'nodes: by compute, by token hashes, optimistic update',
      withStore(async (s) => {
        await s.nodes.insert(node('n1', 'c1'));
        await s.nodes.insert(node('n2', 'c2'));
        expect((await s.nodes.byTokenHash('t-n1'))?.id).toBe('n1');
        await s.nodes.update({
          ...node('n1', 'c1'),
          tokenHash: undefined,
          sessionTokenHash: 's1',
          state: 'idle',
        });
        expect(await s.nodes.byTokenHash('t-n1')).toBeUndefined();
        expect((await s.nodes.bySessionTokenHash('s1'))?.state).toBe('idle');
        await expectCode(s.nodes.update(node('n1', 'c1')), 'Conflict');
        expect((await s.nodes.all({ computeId: 'c2' })).map((n) => n.id)).toEqual(['n2']);
        expect(await s.nodes.delete('n2')).toBe(true);
      }),
    );

    it(
      'environments: immutable versions, latest by creation',
      withStore(async (s) => {
        const env = (version: string): EnvironmentRecord => ({
          workspace: 'default',
          name: 'sk',
          version,
          tags: {},
          definition: { kind: 'conda', condaFile: 'dependencies: []' },
          createdAt: at(Number(version)),
        });
        await s.environments.insert(env('1'));
        await s.environments.insert(env('2'));
        await expectCode(s.environments.insert(env('1')), 'NameConflict');
        expect((await s.environments.latest('default', 'sk'))?.version).toBe('2');
        expect(await s.environments.get('default', 'sk', '1')).toEqual(env('1'));
        expect((await s.environments.list('default', { name: 'sk' }, { top: 1 })).skipToken).toBeDefined();
      }),
    );

    it(
      'run data: metric history in order, latest per key, write-once params, tags overwrite',
      withStore(async (s) => {
        await s.runData.logMetrics('w', 'j', [
          { key: 'loss', value: 1, timestamp: 1, step: 0 },
          { key: 'loss', value: 0.5, timestamp: 2, step: 1 },
          { key: 'acc', value: 0.9, timestamp: 2, step: 0 },
        ]);
        expect((await s.runData.metricHistory('w', 'j', 'loss')).map((m) => m.value)).toEqual([1, 0.5]);
        expect(await s.runData.latestMetrics('w', 'j')).toEqual([
          { key: 'acc', value: 0.9, timestamp: 2, step: 0 },
          { key: 'loss', value: 0.5, timestamp: 2, step: 1 },
        ]);
        await s.runData.logParams('w', 'j', [{ key: 'lr', value: '0.1' }]);
        await s.runData.logParams('w', 'j', [{ key: 'lr', value: '0.1' }]);
        await expectCode(s.runData.logParams('w', 'j', [{ key: 'lr', value: '0.2' }]), 'ValidationFailed');
        await s.runData.setTags('w', 'j', [{ key: 't', value: 'a' }]);
        await s.runData.setTags('w', 'j', [{ key: 't', value: 'b' }]);
        expect(await s.runData.tags('w', 'j')).toEqual([{ key: 't', value: 'b' }]);
      }),
    );

    it(
      'samples: read by scope and time, downsampled into bucket averages, pruned by age',
      withStore(async (s) => {
        const raw = (t: number, value: number, key = 'CpuUtilizationPercentage') => ({
          scope: 'node/n1',
          key,
          t,
          value,
          resolutionMs: 0,
        });
        await s.samples.append([
          raw(0, 10),
          raw(30_000, 30),
          raw(60_000, 50),
          raw(120_000, 70),
          raw(0, 1, 'Gpu'),
        ]);
        await s.samples.append([{ ...raw(0, 99), scope: 'node/n2' }]);
        expect((await s.samples.read('node/n1', 60_000)).map((p) => p.value)).toEqual([50, 70]);
        expect(await s.samples.downsample(120_000, 60_000)).toBe(5);
        const after = await s.samples.read('node/n1');
        expect(after.map((p) => [p.key, p.t, p.value, p.resolutionMs])).toEqual([
          ['CpuUtilizationPercentage', 0, 20, 60_000],
          ['CpuUtilizationPercentage', 60_000, 50, 60_000],
          ['CpuUtilizationPercentage', 120_000, 70, 0],
          ['Gpu', 0, 1, 60_000],
        ]);
        expect(await s.samples.downsample(120_000, 60_000)).toBe(0);
        expect(await s.samples.prune(100_000)).toBe(4);
        expect((await s.samples.read('node/n1')).map((p) => p.value)).toEqual([70]);
      }),
    );

    it(
      'access: users unique by name (case-insensitive), tokens by hash, revocation, roles, assignments by principal and scope',
      withStore(async (s) => {
        await s.access.insertUser({ id: 'u1', name: 'Alice', createdAt: 't' });
        await expect(s.access.insertUser({ id: 'u2', name: 'alice', createdAt: 't' })).rejects.toMatchObject({
          code: 'NameConflict',
        });
        expect((await s.access.userByName('ALICE'))?.id).toBe('u1');
        await s.access.insertToken({
          id: 't1',
          userId: 'u1',
          kind: 'api',
          name: 'ci',
          hash: 'h1',
          createdAt: 't',
          expiresAt: 'z',
        });
        expect((await s.access.tokenByHash('h1'))?.id).toBe('t1');
        expect(await s.access.revokeToken('t1', 'later')).toBe(true);
        expect((await s.access.tokenByHash('h1'))?.revokedAt).toBe('later');
        expect(await s.access.revokeToken('nope', 'later')).toBe(false);
        await s.access.putRole({
          name: 'Ops',
          description: 'd',
          actions: ['*/read'],
          notActions: [],
          builtIn: false,
        });
        await s.access.putRole({
          name: 'ops',
          description: 'd2',
          actions: ['*'],
          notActions: [],
          builtIn: false,
        });
        expect((await s.access.roles()).map((r) => r.description)).toEqual(['d2']);
        const a = (id: string, principalId: string, scope: string) => ({
          id,
          principalId,
          roleName: 'Ops',
          scope,
          createdAt: 't',
          createdBy: 'u1',
        });
        await s.access.insertAssignment(a('a1', 'u1', '/workspaces/w'));
        await s.access.insertAssignment(a('a2', 'u1', '/workspaces/w/computes/c'));
        await s.access.insertAssignment(a('a3', 'u2', '/workspaces/wx'));
        expect((await s.access.assignments({ principalId: 'u1' })).map((x) => x.id)).toEqual(['a1', 'a2']);
        expect((await s.access.assignments({ scopePrefix: '/workspaces/w' })).map((x) => x.id)).toEqual([
          'a1',
          'a2',
        ]);
        expect(await s.access.deleteAssignment('a1')).toBe(true);
        expect((await s.access.assignments({})).map((x) => x.id)).toEqual(['a2', 'a3']);
      }),
    );

    it(
      'audit: appended in order, paged',
      withStore(async (s) => {
        for (let i = 0; i < 5; i++)
          await s.audit.append({
            at: `t${i}`,
            principal: 'alice',
            principalKind: 'user',
            action: 'x/write',
            method: 'PUT',
            path: `/p/${i}`,
            status: 200,
            outcome: 'Succeeded',
          });
        const first = await s.audit.list({ top: 3 });
        expect(first.items.map((e) => e.path)).toEqual(['/p/0', '/p/1', '/p/2']);
        const rest = await s.audit.list({
          top: 3,
          ...(first.skipToken ? { skipToken: first.skipToken } : {}),
        });
        expect(rest.items.map((e) => e.path)).toEqual(['/p/3', '/p/4']);
      }),
    );

    it(
      "versions are the store's: update takes the record as read, writes version + 1 and answers it; a stale update is a Conflict and writes nothing",
      withStore(async (s) => {
        await s.workspaces.insert(ws('a'));
        await s.computes.insert(compute('w', 'cpu'));
        await s.jobs.insert(job('j', 1));
        await s.nodes.insert(node('n', 'c'));
        const read = {
          ws: await s.workspaces.get('a'),
          compute: await s.computes.get('w', 'cpu'),
          job: await s.jobs.get('default', 'j'),
          node: await s.nodes.get('n'),
        };
        if (!read.ws || !read.compute || !read.job || !read.node)
          throw new Error('inserted records should read back');
        // Each write passes the record as read (version 1): the store checks it and bumps it.
        const written = {
          ws: await s.workspaces.update({ ...read.ws, tags: { t: 'second' } }),
          compute: await s.computes.update({
            ...read.compute,
            spec: { ...read.compute.spec, description: 'second' },
          }),
          job: await s.jobs.update({ ...read.job, priority: 5 }),
          node: await s.nodes.update({ ...read.node, state: 'idle' }),
        };
        expect([
          written.ws.version,
          written.compute.version,
          written.job.version,
          written.node.version,
        ]).toEqual([2, 2, 2, 2]);
        expect(await s.workspaces.get('a')).toEqual(written.ws);
        expect(await s.computes.get('w', 'cpu')).toEqual(written.compute);
        expect(await s.jobs.get('default', 'j')).toEqual(written.job);
        expect(await s.nodes.get('n')).toEqual(written.node);
        // A second write from the same (now stale) read loses, and nothing of it lands.
        await expectCode(s.workspaces.update({ ...read.ws, tags: { t: 'stale' } }), 'Conflict');
        await expectCode(
          s.computes.update({ ...read.compute, spec: { ...read.compute.spec, description: 'stale' } }),
          'Conflict',
        );
        await expectCode(s.jobs.update({ ...read.job, priority: 9 }), 'Conflict');
        await expectCode(s.nodes.update({ ...read.node, state: 'leaving' }), 'Conflict');
        // So does a caller that computes the next version itself: the version passed is the one expected.
        await expectCode(s.jobs.update({ ...written.job, version: written.job.version + 1 }), 'Conflict');
        expect((await s.workspaces.get('a'))?.tags).toEqual({ t: 'second' });
        expect((await s.computes.get('w', 'cpu'))?.spec.description).toBe('second');
        expect(await s.jobs.get('default', 'j')).toEqual(written.job);
        expect((await s.nodes.get('n'))?.state).toBe('idle');
        // Writing what a write answered goes on from there.
        expect((await s.jobs.update({ ...written.job, priority: 7 })).version).toBe(3);
        await expectCode(s.computes.update({ ...read.compute, id: 'gone' }), 'Conflict');
      }),
    );

    it(
      'computes: status writes leave the version alone, never conflict with spec writes, and spec writes never overwrite status',
      withStore(async (s) => {
        await s.computes.insert(compute('w', 'cpu'));
        const read = await s.computes.get('w', 'cpu');
        if (!read) throw new Error('inserted compute should read back');
        // A loop writes status after the user read the compute…
        const observed = await s.computes.updateStatus(read.id, (c) => ({
          status: {
            ...c.status,
            provisioningState: 'Succeeded',
            observed: { ...c.status.observed, currentNodeCount: 2 },
          },
          instance: { power: 'Stopped' },
          runFor: 'job-1',
        }));
        expect(observed).toMatchObject({
          version: 1,
          status: { provisioningState: 'Succeeded', observed: { currentNodeCount: 2 } },
          instance: { power: 'Stopped' },
          runFor: 'job-1',
        });
        expect(await s.computes.get('w', 'cpu')).toEqual(observed);
        // …and the user's write from that read still lands, bumping the version, keeping the status.
        const patched = await s.computes.update({
          ...read,
          spec: { ...read.spec, tags: { k: 'patched' } },
          modifiedAt: at(9),
        });
        expect(patched).toMatchObject({
          version: 2,
          spec: { tags: { k: 'patched' } },
          modifiedAt: at(9),
          status: { provisioningState: 'Succeeded', observed: { currentNodeCount: 2 } },
          instance: { power: 'Stopped' },
          runFor: 'job-1',
        });
        expect(await s.computes.get('w', 'cpu')).toEqual(patched);
        // Status fields in a spec write are not written, even from a fresh read.
        const again = await s.computes.update({
          ...patched,
          status: { ...patched.status, provisioningState: 'Failed' },
          instance: { power: 'Running' },
          runFor: undefined,
          deleteAction: 'Delete',
        });
        expect(again).toMatchObject({
          version: 3,
          status: { provisioningState: 'Succeeded' },
          instance: { power: 'Stopped' },
          runFor: 'job-1',
        });
        expect(again.deleteAction).toBeUndefined();
        expect((await s.computes.all({ provisioningState: 'Failed' })).length).toBe(0);
        // Status writes see the record as stored now (spec included) and leave the spec as it is.
        let seen: unknown;
        const cleared = await s.computes.updateStatus(read.id, (c) => {
          seen = c;
          return { runFor: undefined, deleteAction: 'Delete' };
        });
        expect(seen).toEqual(again);
        expect(cleared).toEqual({ ...again, deleteAction: 'Delete', runFor: undefined });
        expect(await s.computes.get('w', 'cpu')).toEqual(cleared);
        expect(Object.keys(cleared ?? {})).not.toContain('runFor');
      }),
    );

    it(
      'computes: a status change that answers nothing writes nothing; one that throws writes nothing; a gone compute answers undefined; in a transaction it lands with the spec write or neither does',
      withStore(async (s) => {
        await s.computes.insert(compute('w', 'cpu'));
        const read = await s.computes.get('w', 'cpu');
        if (!read) throw new Error('inserted compute should read back');
        expect(await s.computes.updateStatus(read.id, () => undefined)).toBeUndefined();
        await expect(
          s.computes.updateStatus(read.id, () => {
            throw new Error('refused');
          }),
        ).rejects.toThrow('refused');
        expect(
          await s.computes.updateStatus('no-such-id', (c) => ({
            status: { ...c.status, provisioningState: 'Failed' },
          })),
        ).toBeUndefined();
        expect(await s.computes.get('w', 'cpu')).toEqual(read);
        // A user's delete: spec and state together; when the state write refuses, the spec write goes too.
        await expect(
          s.transaction(async () => {
            await s.computes.update({ ...read, modifiedAt: at(5) });
            await s.computes.updateStatus(read.id, () => {
              throw new Error('no');
            });
          }),
        ).rejects.toThrow('no');
        expect(await s.computes.get('w', 'cpu')).toEqual(read);
        const deleting = await s.transaction(async () => {
          await s.computes.update({ ...read, modifiedAt: at(5) });
          return s.computes.updateStatus(read.id, (c) => ({
            deleteAction: 'Detach',
            status: { ...c.status, provisioningState: 'Deleting' },
          }));
        });
        expect(deleting).toMatchObject({
          version: 2,
          modifiedAt: at(5),
          deleteAction: 'Detach',
          status: { provisioningState: 'Deleting' },
        });
        expect(await s.computes.get('w', 'cpu')).toEqual(deleting);
      }),
    );

    it(
      'transactions: all writes land together; a throw inside leaves nothing; nested calls join',
      withStore(async (s) => {
        await s.transaction(async () => {
          await s.jobs.insert(job('parent', 1));
          await s.transaction(async () => s.jobs.insert(job('rank-0', 2)));
          await s.nodes.insert(node('n1', 'c1'));
        });
        expect((await s.jobs.all({})).map((j) => j.name).sort()).toEqual(['parent', 'rank-0']);
        await expect(
          s.transaction(async () => {
            await s.jobs.insert(job('half', 3));
            await s.nodes.update({ ...node('n1', 'c1'), state: 'idle' });
            await s.jobs.insert(job('parent', 4));
          }),
        ).rejects.toMatchObject({ code: 'NameConflict' });
        expect(await s.jobs.get('default', 'half')).toBeUndefined();
        expect((await s.nodes.get('n1'))?.state).toBe('preparing');
        // The store is usable after a rollback, and a transaction returns what its function returns.
        expect(await s.transaction(async () => (await s.jobs.all({})).length)).toBe(2);
      }),
    );

    it(
      'data survives closing and reopening',
      withStore(async (s, reopen) => {
        if (!reopen) return;
        await s.workspaces.insert(ws('keep'));
        await s.computes.insert(compute('keep', 'cpu'));
        await s.close();
        const again = await reopen();
        try {
          expect(await again.workspaces.get('keep')).toEqual(ws('keep'));
          expect(await again.computes.get('keep', 'cpu')).toEqual(compute('keep', 'cpu'));
        } finally {
          await again.close();
        }
      }),
    );
  });
}
