import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { RegisterRequest } from '../../domain/nodes/agent-protocol.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { testContext, type TestContext } from '../../../test/helpers/service-context.js';
import { wakes, type WakeScope } from '../loops/wake-scope.js';
import { NodeService, reportedPorts } from './node-service.js';
import { hashToken, newToken } from './node-tokens.js';

const request = (nodeToken: string): RegisterRequest => ({
  nodeToken,
  hostname: 'host-a',
  pid: 42,
  agentVersion: '0.0.0',
  address: 'host-a',
  capacity: { cores: 2, memoryMB: 4096, gpus: [], containerRuntime: null, defaultPython: 'python3' },
});

/** A provisioned node whose agent has not registered yet, and its one-time token. */
async function provisioned(t: TestContext, id = 'cpu-1'): Promise<{ node: NodeRecord; token: string }> {
  const token = newToken();
  const node: NodeRecord = {
    id,
    workspace: 'default',
    computeId: 'id-cpu',
    computeName: 'cpu',
    provider: 'fake',
    state: 'preparing',
    tokenHash: hashToken(token),
    slots: 1,
    createdAt: t.clock.now().toISOString(),
    version: 1,
  };
  await t.store.nodes.insert(node);
  return { node, token };
}

async function refusal(p: Promise<unknown>): Promise<HangarError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HangarError);
  return err as HangarError;
}

const registrations = async (t: TestContext): Promise<number> =>
  (await t.store.events.list({ workspace: 'default' }, { top: 1000 })).items.filter(
    (e) => e.reason === 'NodeRegistered',
  ).length;

describe('node registration', () => {
  let t: TestContext;
  let nodes: NodeService;
  beforeEach(async () => {
    t = await testContext();
    nodes = new NodeService(t.ctx);
  });
  afterEach(() => t.close());

  it('a retry after a committed registration whose answer was lost gets the same node and session', async () => {
    const { token } = await provisioned(t);
    const first = await nodes.register(request(token));
    t.clock.advance(30_000); // the agent's request timed out; it asks again
    const node = await t.store.nodes.get('cpu-1');
    if (!node) throw new Error('node missing');
    // Silent since (the health loop judged it not responding): the retry still gets its session.
    await t.store.nodes.update({ ...node, state: 'unusable' });
    const retry = await nodes.register(request(token));
    expect(retry).toEqual(first);
    // The answer works: the session authenticates the node, and the retry wrote nothing more.
    expect((await nodes.authenticate(`Bearer ${retry.sessionToken}`)).id).toBe('cpu-1');
    expect(await registrations(t)).toBe(1);
  });

  it('the same registration arriving twice at once answers both alike', async () => {
    const { token } = await provisioned(t);
    const [a, b] = await Promise.all([nodes.register(request(token)), nodes.register(request(token))]);
    expect(b).toEqual(a);
    expect(await registrations(t)).toBe(1);
  });

  it('sessions differ between nodes and are not the token or its hash', async () => {
    const one = await provisioned(t, 'cpu-1');
    const two = await provisioned(t, 'cpu-2');
    const a = await nodes.register(request(one.token));
    const b = await nodes.register(request(two.token));
    expect(a.sessionToken).not.toBe(b.sessionToken);
    expect([one.token, hashToken(one.token)]).not.toContain(a.sessionToken);
    const stored = await t.store.nodes.get('cpu-1');
    expect(JSON.stringify(stored)).not.toContain(a.sessionToken);
  });

  it('once the session has been used the token is spent: a retry is refused and the session stays', async () => {
    const { token } = await provisioned(t);
    const first = await nodes.register(request(token));
    await nodes.heartbeat(await nodes.authenticate(`Bearer ${first.sessionToken}`), { running: [] });
    expect((await t.store.nodes.get('cpu-1'))?.tokenHash).toBeUndefined();
    const err = await refusal(nodes.register(request(token)));
    expect([err.code, err.target]).toEqual(['Unauthenticated', 'nodeToken']);
    expect((await nodes.authenticate(`Bearer ${first.sessionToken}`)).id).toBe('cpu-1');
  });

  it('a spent token of a node since deleted (or replaced by a new one) is refused', async () => {
    const { token } = await provisioned(t, 'cpu-1');
    await nodes.register(request(token));
    await t.store.nodes.delete('cpu-1');
    await provisioned(t, 'cpu-2'); // its replacement, with a token of its own
    const err = await refusal(nodes.register(request(token)));
    expect([err.code, err.target]).toEqual(['Unauthenticated', 'nodeToken']);
    expect(await t.store.nodes.get('cpu-2')).toMatchObject({ state: 'preparing' });
  });

  it('a spent token of a node that is leaving, preempted or past the lost limit is refused', async () => {
    for (const state of ['leaving', 'preempted'] as const) {
      const { token } = await provisioned(t, `cpu-${state}`);
      await nodes.register(request(token));
      const node = await t.store.nodes.get(`cpu-${state}`);
      if (!node) throw new Error('node missing');
      await t.store.nodes.update({ ...node, state });
      expect((await refusal(nodes.register(request(token)))).code).toBe('Unauthenticated');
    }
    const { token } = await provisioned(t, 'cpu-late');
    await nodes.register(request(token));
    const { nodeNotRespondingAfterMs, nodeLostAfterMs } = t.ctx.config.jobs;
    t.clock.advance(nodeNotRespondingAfterMs + nodeLostAfterMs + 1);
    expect((await refusal(nodes.register(request(token)))).code).toBe('Unauthenticated');
  });

  it('a registration wakes the loops it concerns, not those that read every job; a retry wakes none', async () => {
    const woken: (WakeScope | undefined)[] = [];
    const service = new NodeService({ ...t.ctx, wake: (scope) => void woken.push(scope) });
    const { token } = await provisioned(t);
    await service.register(request(token));
    expect(woken).toHaveLength(1);
    expect(wakes(woken[0], 'scheduler')).toBe(true);
    expect(['node-pool', 'pipelines', 'sweeps'].filter((l) => wakes(woken[0], l))).toEqual([]);
    await service.register(request(token));
    expect(woken).toHaveLength(1);
  });

  it('an unknown token is refused, naming the field', async () => {
    await provisioned(t);
    const err = await refusal(nodes.register(request(newToken())));
    expect([err.code, err.target]).toEqual(['Unauthenticated', 'nodeToken']);
  });
});

describe('reportedPorts', () => {
  const running = (jobId: string, attempt: number, state: 'running' | 'exited', port?: number) => ({
    jobId,
    attempt,
    state,
    ...(port === undefined ? {} : { port }),
  });

  it('keeps the ports of running replica attempts the server still assigns to the node, and no other', () => {
    const wanted = new Map<string, number | undefined>([
      ['default~a', 1],
      ['default~b', 2],
      ['default~c', 1],
    ]);
    expect(
      reportedPorts(
        {
          running: [
            running('default~a', 1, 'running', 41001),
            // An older attempt of a retried job: its port may be anyone's next.
            running('default~b', 1, 'running', 41002),
            running('default~c', 1, 'exited', 41003),
            running('default~d', 1, 'running', 41004),
            running('default~a2', 1, 'running'),
          ],
        },
        wanted,
      ),
    ).toEqual({ 'default~a': 41001 });
    expect(reportedPorts({ running: [running('default~a', 1, 'running')] }, wanted)).toBeUndefined();
  });
});
