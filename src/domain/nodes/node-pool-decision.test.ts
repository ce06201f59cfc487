import { describe, expect, it } from 'vitest';
import { decidePool, type PoolInput } from './node-pool-decision.js';
import { nodeHealth } from './node-record.js';

const now = new Date('2026-01-01T01:00:00.000Z');
const ago = (s: number): string => new Date(now.getTime() - s * 1000).toISOString();
const base: PoolInput = {
  computeType: 'AmlCompute',
  wantRunning: true,
  minNodes: 0,
  maxNodes: 4,
  idleTimeBeforeScaleDown: 'PT120S',
  demand: 0,
  nodes: [],
  deleting: false,
};

describe('decidePool', () => {
  it('clusters provision clamp(min, max, demand)', () => {
    expect(decidePool({ ...base, demand: 2 }, now)).toMatchObject({ target: 2, provision: 2 });
    expect(decidePool({ ...base, demand: 9 }, now)).toMatchObject({ target: 4, provision: 4 });
    expect(decidePool({ ...base, minNodes: 1 }, now)).toMatchObject({ target: 1, provision: 1 });
  });

  it('releases idle surplus only after the idle time', () => {
    const nodes = [
      { id: 'a', state: 'idle' as const, idleSince: ago(200) },
      { id: 'b', state: 'idle' as const, idleSince: ago(30) },
    ];
    expect(decidePool({ ...base, nodes }, now).release).toEqual([
      { nodeId: 'a', reason: 'idle longer than PT120S' },
    ]);
    expect(decidePool({ ...base, nodes: [{ id: 'c', state: 'running' as const }] }, now).release).toEqual([]);
  });

  it('says when the next idle node will be due, so it leaves on time', () => {
    const nodes = [{ id: 'b', state: 'idle' as const, idleSince: ago(30) }];
    expect(decidePool({ ...base, nodes }, now).nextReleaseAt).toEqual(new Date(now.getTime() + 90_000));
    expect(decidePool({ ...base, minNodes: 1, nodes }, now).nextReleaseAt).toBeUndefined();
  });

  it('instances keep exactly one node while running', () => {
    expect(decidePool({ ...base, computeType: 'ComputeInstance' }, now)).toMatchObject({
      target: 1,
      provision: 1,
    });
    expect(
      decidePool({ ...base, computeType: 'ComputeInstance', nodes: [{ id: 'a', state: 'idle' }] }, now),
    ).toMatchObject({ provision: 0, release: [] });
  });

  it('grows only as far as quota admits, and says why it stops short', () => {
    const quota = { newNodesAllowed: 1, shortfall: (n: number) => `needs ${n}` };
    expect(decidePool({ ...base, demand: 3, quota }, now)).toMatchObject({
      target: 3,
      provision: 1,
      blocked: { code: 'QuotaExceeded', message: 'needs 3' },
    });
    expect(decidePool({ ...base, demand: 1, quota }, now)).toMatchObject({ provision: 1 });
    expect(decidePool({ ...base, demand: 1, quota }, now).blocked).toBeUndefined();
  });

  it('a ReadOnly lock blocks scaling either way, visibly; a steady pool is not blocked', () => {
    const lockedBy = "workspace 'w' has a ReadOnly lock 'freeze'";
    expect(decidePool({ ...base, demand: 2, lockedBy }, now)).toEqual({
      target: 2,
      provision: 0,
      release: [],
      blocked: { code: 'ScopeLocked', message: `cannot scale from 0 to 2 node(s): ${lockedBy}` },
    });
    const idle = [{ id: 'a', state: 'idle' as const, idleSince: ago(999) }];
    expect(decidePool({ ...base, nodes: idle, lockedBy }, now)).toMatchObject({
      release: [],
      blocked: { code: 'ScopeLocked' },
    });
    expect(decidePool({ ...base, minNodes: 1, nodes: idle, lockedBy }, now)).toEqual({
      target: 1,
      provision: 0,
      release: [],
    });
  });

  it('deleting releases every live node', () => {
    const nodes = [
      { id: 'a', state: 'running' as const },
      { id: 'b', state: 'leaving' as const },
    ];
    expect(decidePool({ ...base, deleting: true, nodes }, now).release).toEqual([
      { nodeId: 'a', reason: 'compute is being deleted' },
    ]);
  });
});

describe('nodeHealth', () => {
  it('healthy, then not responding, then lost after the grace period', () => {
    expect(nodeHealth({ lastHeartbeatAt: ago(5) }, now, 10_000, 60_000)).toBe('healthy');
    expect(nodeHealth({ lastHeartbeatAt: ago(30) }, now, 10_000, 60_000)).toBe('not-responding');
    expect(nodeHealth({ lastHeartbeatAt: ago(71) }, now, 10_000, 60_000)).toBe('lost');
    expect(nodeHealth({}, now, 10_000, 60_000)).toBe('healthy');
  });
  it('restarts an instance by releasing nodes older than the request before starting a fresh one', () => {
    const base = {
      computeType: 'ComputeInstance' as const,
      wantRunning: true,
      minNodes: 0,
      maxNodes: 1,
      idleTimeBeforeScaleDown: 'PT120S',
      demand: 0,
      deleting: false,
    };
    const old = { id: 'old', state: 'idle' as const, createdAt: '2026-01-01T00:00:00Z' };
    const asked = decidePool(
      { ...base, nodes: [old], restartRequestedAt: '2026-01-01T01:00:00Z' },
      new Date('2026-01-01T01:00:01Z'),
    );
    expect(asked).toMatchObject({
      provision: 0,
      release: [{ nodeId: 'old', reason: 'instance restarting' }],
    });
    const gone = decidePool(
      { ...base, nodes: [], restartRequestedAt: '2026-01-01T01:00:00Z' },
      new Date('2026-01-01T01:00:02Z'),
    );
    expect(gone.provision).toBe(1);
    const fresh = decidePool(
      {
        ...base,
        nodes: [{ id: 'new', state: 'idle', createdAt: '2026-01-01T01:00:03Z' }],
        restartRequestedAt: '2026-01-01T01:00:00Z',
      },
      new Date('2026-01-01T01:00:04Z'),
    );
    expect(fresh).toMatchObject({ provision: 0, release: [] });
    expect(decidePool({ ...base, wantRunning: false, nodes: [old] }, new Date()).release).toEqual([
      { nodeId: 'old', reason: 'instance stopped' },
    ]);
  });
});
