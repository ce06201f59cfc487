import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { RoleAssignment } from '../../domain/access/roles.js';
import type { ComputeRecord } from '../../domain/compute/compute-record.js';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { describeStoreContract } from '../store-contract.js';
import { migrations } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

async function fresh(): Promise<{
  store: SqliteStore;
  reopen: () => Promise<SqliteStore>;
  cleanup: () => Promise<void>;
  path: string;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-store-'));
  const path = join(dir, 'hangar.db');
  const store = new SqliteStore(path);
  await store.migrate();
  let current: SqliteStore = store;
  return {
    store,
    path,
    reopen: async () => {
      current = new SqliteStore(path);
      await current.migrate();
      return current;
    },
    cleanup: async () => {
      await current.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeStoreContract('SQLite (real file)', fresh);

describe('SQLite specifics', () => {
  it('runs in WAL mode and records the schema version in user_version', async () => {
    const { path, cleanup, store } = await fresh();
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(migrations[migrations.length - 1]?.version);
    db.close();
    await cleanup();
  });

  it("a transaction that waits on other I/O is rolled back, so no other request's writes join it", async () => {
    const { store, cleanup } = await fresh();
    const job = {
      name: 'slow',
      workspace: 'default',
      spec: { command: 'echo' },
      computeName: 'cpu',
      experimentName: 'e',
      status: 'Queued',
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
    } satisfies JobRecord;
    await expect(
      store.transaction(async () => {
        await store.jobs.insert(job);
        await new Promise((r) => setTimeout(r, 5));
      }),
    ).rejects.toThrow(/awaited something other than the store/);
    expect(await store.jobs.get('default', 'slow')).toBeUndefined();
    await cleanup();
  });
  it('compute reads see a commit by another connection and never a rolled-back write', async () => {
    const { store, path, cleanup } = await fresh();
    const record = {
      id: 'c1',
      workspace: 'default',
      name: 'cpu',
      createdAt: '2026-01-01T00:00:00.000Z',
      modifiedAt: '2026-01-01T00:00:00.000Z',
      version: 1,
      spec: { computeType: 'AmlCompute', location: 'local', properties: {}, secretPaths: [] },
      status: { provisioningState: 'Creating', provisioningErrors: [], observed: { currentNodeCount: 0 } },
    } as unknown as ComputeRecord;
    await store.computes.insert(record);
    // Read (and so cached) before each change below.
    expect((await store.computes.all({}))[0]?.modifiedAt).toBe(record.modifiedAt);
    const other = new SqliteStore(path);
    const current = await other.computes.get('default', 'cpu');
    await other.computes.update({ ...current!, modifiedAt: '2026-02-02T00:00:00.000Z' });
    await other.close();
    expect((await store.computes.get('default', 'cpu'))?.modifiedAt).toBe('2026-02-02T00:00:00.000Z');
    expect((await store.computes.all({}))[0]?.version).toBe(2);

    await expect(
      store.transaction(async () => {
        await store.computes.updateStatus('c1', () => ({
          status: {
            provisioningState: 'Succeeded',
            provisioningErrors: [],
            observed: { currentNodeCount: 0 },
          },
        }));
        // Read inside the transaction: the document that is about to be undone.
        expect((await store.computes.getById('c1'))?.status.provisioningState).toBe('Succeeded');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect((await store.computes.getById('c1'))?.status.provisioningState).toBe('Creating');
    const page = await store.computes.list({ workspace: 'default' }, { top: 10 });
    expect(page.items.map((c) => [c.name, c.status.provisioningState])).toEqual([['cpu', 'Creating']]);
    await cleanup();
  });
  it('node lists see a commit by another connection and never a rolled-back write', async () => {
    const { store, path, cleanup } = await fresh();
    const record: NodeRecord = {
      id: 'n1',
      workspace: 'default',
      computeId: 'c1',
      computeName: 'cpu',
      provider: 'local',
      state: 'preparing',
      slots: 2,
      createdAt: '2026-01-01T00:00:00.000Z',
      version: 1,
    };
    await store.nodes.insert(record);
    expect((await store.nodes.all({}))[0]?.state).toBe('preparing');
    const other = new SqliteStore(path);
    await other.nodes.update({ ...(await other.nodes.get('n1'))!, state: 'idle' });
    await other.close();
    expect((await store.nodes.all({ computeId: 'c1' })).map((n) => [n.state, n.version])).toEqual([
      ['idle', 2],
    ]);
    await expect(
      store.transaction(async () => {
        await store.nodes.update({ ...(await store.nodes.get('n1'))!, state: 'running' });
        expect((await store.nodes.all({}))[0]?.state).toBe('running');
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    // After the rollback a different write takes the same version the undone one had.
    await store.nodes.update({ ...(await store.nodes.get('n1'))!, state: 'leaving' });
    expect((await store.nodes.all({ workspace: 'default' }))[0]?.state).toBe('leaving');
    await store.nodes.delete('n1');
    expect(await store.nodes.all({})).toEqual([]);
    await cleanup();
  });
  it('a repeated all() of jobs answers current documents; an answer is a frozen snapshot that later writes leave as it was', async () => {
    const { store, cleanup } = await fresh();
    const base = {
      workspace: 'default',
      spec: { command: 'echo' },
      computeName: 'cpu',
      experimentName: 'e',
      status: 'Queued',
      priority: 0,
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
      modifiedAt: '2026-01-01T00:00:00.000Z',
      version: 1,
    } satisfies Omit<JobRecord, 'name' | 'queueSeq' | 'createdAt'>;
    await store.jobs.insert({ ...base, name: 'a', queueSeq: 1, createdAt: '2026-01-01T00:00:01.000Z' });
    await store.jobs.insert({ ...base, name: 'b', queueSeq: 2, createdAt: '2026-01-01T00:00:02.000Z' });
    const queued = { statuses: ['Queued' as const] };
    const first = await store.jobs.all(queued);
    expect(() => (first as JobRecord[]).splice(0, 2)).toThrow(TypeError);
    const second = await store.jobs.all(queued);
    expect(second.map((j) => j.name)).toEqual(['a', 'b']);
    // A write that keeps the job in the answer still shows in the next one.
    await store.jobs.update({ ...second[1]!, reason: 'waiting' });
    const third = await store.jobs.all(queued);
    expect(third.map((j) => [j.name, j.reason])).toEqual([
      ['a', undefined],
      ['b', 'waiting'],
    ]);
    // What a caller read is its snapshot: the writes after it changed the next answers, not it.
    expect(second.map((j) => [j.name, j.reason])).toEqual([
      ['a', undefined],
      ['b', undefined],
    ]);
    await store.jobs.update({ ...(await store.jobs.get('default', 'a'))!, status: 'Running' });
    expect((await store.jobs.all(queued)).map((j) => j.name)).toEqual(['b']);
    expect(third.map((j) => j.name)).toEqual(['a', 'b']);
    // Back in the queue (a retry): it joins at its place, with the document as written.
    await store.jobs.update({
      ...(await store.jobs.get('default', 'a'))!,
      status: 'Queued',
      reason: 'retry',
    });
    expect(await store.jobs.all(queued)).toEqual([
      await store.jobs.get('default', 'a'),
      await store.jobs.get('default', 'b'),
    ]);
    expect((await store.jobs.all(queued)).map((j) => [j.name, j.reason, j.version])).toEqual([
      ['a', 'retry', 3],
      ['b', 'waiting', 2],
    ]);
    await cleanup();
  });
  it('roles and role assignments read again after any write, here or by another connection', async () => {
    const { store, path, cleanup } = await fresh();
    const grant = (id: string, principalId: string): RoleAssignment => ({
      id,
      principalId,
      roleName: 'Reader',
      scope: '/workspaces/default',
      createdAt: '2026-01-01T00:00:00.000Z',
      createdBy: 'admin',
    });
    expect(await store.access.assignments({ principalId: 'u1' })).toEqual([]);
    expect(await store.access.roles()).toEqual([]);
    await store.access.insertAssignment(grant('a1', 'u1'));
    expect((await store.access.assignments({ principalId: 'u1' })).map((a) => a.id)).toEqual(['a1']);
    const other = new SqliteStore(path);
    await other.access.insertAssignment(grant('a2', 'u1'));
    await other.access.putRole({
      name: 'Mine',
      description: 'd',
      actions: ['*'],
      notActions: [],
      builtIn: false,
    });
    await other.close();
    expect((await store.access.assignments({ principalId: 'u1' })).map((a) => a.id)).toEqual(['a1', 'a2']);
    expect((await store.access.roles()).map((r) => r.name)).toEqual(['Mine']);
    await expect(
      store.transaction(async () => {
        await store.access.deleteAssignment('a1');
        expect((await store.access.assignments({})).map((a) => a.id)).toEqual(['a2']);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect((await store.access.assignments({})).map((a) => a.id)).toEqual(['a1', 'a2']);
    await store.access.deleteRole('Mine');
    expect(await store.access.roles()).toEqual([]);
    await cleanup();
  });
  it('tokens and users read again after any write, here or by another connection; a changed copy changes nothing', async () => {
    const { store, path, cleanup } = await fresh();
    const at = '2026-01-01T00:00:00.000Z';
    await store.access.insertUser({ id: 'u1', name: 'ann', createdAt: at });
    const token = {
      id: 't1',
      userId: 'u1',
      kind: 'api' as const,
      name: 'ci',
      hash: 'h1',
      createdAt: at,
      expiresAt: '2027-01-01T00:00:00.000Z',
    };
    expect(await store.access.tokenByHash('h1')).toBeUndefined();
    await store.access.insertToken(token);
    expect(await store.access.tokenByHash('h1')).toEqual(token);
    const read = await store.access.getUser('u1');
    if (read) read.disabled = true;
    expect((await store.access.getUser('u1'))?.disabled).toBeUndefined();
    await store.access.revokeToken('t1', at);
    expect((await store.access.tokenByHash('h1'))?.revokedAt).toBe(at);
    await store.access.updateUser({ id: 'u1', name: 'ann', createdAt: at, disabled: true });
    expect((await store.access.getUser('u1'))?.disabled).toBe(true);
    const other = new SqliteStore(path);
    await other.access.updateUser({ id: 'u1', name: 'ann', createdAt: at });
    await other.access.insertToken({ ...token, id: 't2', hash: 'h2' });
    await other.close();
    expect((await store.access.getUser('u1'))?.disabled).toBeUndefined();
    expect((await store.access.tokenByHash('h2'))?.id).toBe('t2');
    await expect(
      store.transaction(async () => {
        await store.access.updateUser({ id: 'u1', name: 'ann', createdAt: at, disabled: true });
        expect((await store.access.getUser('u1'))?.disabled).toBe(true);
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect((await store.access.getUser('u1'))?.disabled).toBeUndefined();
    await cleanup();
  });
});

describe('SQLite transactions of concurrent requests', () => {
  it("one request's rollback never undoes another's committed transaction (they do not share one)", async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const ws = (name: string) => ({
      name,
      location: 'local',
      tags: {},
      locks: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      modifiedAt: '2026-01-01T00:00:00.000Z',
      version: 1,
    });
    // A's transaction is open across a few awaits; B starts meanwhile (another request, another flow).
    let aStarted = (): void => undefined;
    const started = new Promise<void>((r) => (aStarted = r));
    const a = store.transaction(async () => {
      await store.workspaces.insert(ws('from-a'));
      aStarted();
      for (let i = 0; i < 5; i++) await Promise.resolve();
      throw new Error('A fails');
    });
    await started;
    const b = store.transaction(async () => store.workspaces.insert(ws('from-b')));
    await expect(a).rejects.toThrow('A fails');
    await b;
    expect(await store.workspaces.get('from-a')).toBeUndefined();
    expect((await store.workspaces.get('from-b'))?.name).toBe('from-b');
    // Nested calls inside one transaction still join it.
    await store.transaction(async () => {
      await store.transaction(async () => store.workspaces.insert(ws('nested')));
    });
    expect(await store.workspaces.get('nested')).toBeDefined();
    await store.close();
  });
});
