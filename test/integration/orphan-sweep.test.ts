import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalProvider } from '../../src/providers/local/local-provider.js';
import { alive, createCluster, waitForEnd } from '../helpers/job-fixtures.js';
import { childEnv, cliPath, waitFor } from '../helpers/processes.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Heartbeat silence only counts after a minute here: whatever happens sooner is the sweep's doing.
const config = {
  reconcileIntervalMs: 200,
  jobs: { heartbeatIntervalMs: 300, nodeNotRespondingAfterMs: 60_000, nodeLostAfterMs: 60_000 },
};
let server: ServerProcess;
const nodesOf = async (
  name: string,
): Promise<{ nodeId: string; nodeState: string; reason: string | null }[]> =>
  (await api(server.url, 'GET', `/api/workspaces/default/computes/${name}/nodes`)).body.value;

beforeAll(async () => {
  server = await startServerProcess({ config });
}, 60_000);

afterAll(async () => {
  for (const name of ['swept', 'burst'])
    await api(server.url, 'DELETE', `/api/workspaces/default/computes/${name}`);
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.length === 0,
    'the clusters to go',
    30_000,
  );
  await server.stop();
});

describe('orphan sweep (provider list against the store)', () => {
  it('terminates a node the provider runs but the store does not know', async () => {
    // What a crash between a provider start and its record, or a restored backup, would leave behind.
    const provider = new LocalProvider(join(server.home, 'nodes'), childEnv(), cliPath);
    const stray = await provider.provision({
      nodeId: 'stray-node',
      nodeToken: 'unknown',
      serverUrl: server.url,
      computeName: 'none',
      slots: 1,
    });
    expect(alive(Number(stray.ref))).toBe(true);
    await waitFor(
      async () => (await provider.describe('stray-node')).state === 'gone',
      'the stray node to be terminated',
      15_000,
    );
    // The test started it, so the test reaps it: give the exit a moment to be collected.
    await waitFor(() => !alive(Number(stray.ref)), 'the stray agent process to be gone', 5000);
  });

  it('marks a registered node whose process vanished unusable at once, with an event', async () => {
    await createCluster(server.url, 'swept', 1, 1);
    const [node] = await waitFor(
      async () => {
        const nodes = await nodesOf('swept');
        return nodes.length === 1 && nodes[0]?.nodeState === 'idle' ? nodes : undefined;
      },
      'the min node to register',
      30_000,
    );
    const provider = new LocalProvider(join(server.home, 'nodes'), childEnv(), cliPath);
    process.kill(Number((await provider.describe(node?.nodeId ?? '')).ref), 'SIGKILL');
    const marked = await waitFor(
      async () =>
        (await nodesOf('swept')).find((n) => n.nodeId === node?.nodeId && n.nodeState === 'unusable'),
      'the node to be marked unusable',
      15_000,
    );
    expect(marked.reason).toBe(`the local provider no longer runs node ${node?.nodeId ?? ''}`);
    const events = (await api(server.url, 'GET', '/api/workspaces/default/computes/swept/events?$top=100'))
      .body.value as { reason: string }[];
    expect(events.some((e) => e.reason === 'NodeVanished')).toBe(true);
  });

  it('a server killed in the middle of a scale-up comes back without orphaned or doubled nodes', async () => {
    await createCluster(server.url, 'burst', 0, 3);
    for (const n of [1, 2, 3]) {
      const r = await api(server.url, 'PUT', `/api/workspaces/default/jobs/burst-${n}`, {
        spec: { command: 'sleep 1', compute: 'burst' },
      });
      expect(r.status).toBe(201);
    }
    await new Promise((r) => setTimeout(r, 150));
    const port = Number(new URL(server.url).port);
    await server.kill9();
    server = await startServerProcess({ home: server.home, port, config });
    for (const n of [1, 2, 3])
      expect((await waitForEnd(server.url, `burst-${n}`, 90_000)).properties.status).toBe('Completed');
    const provider = new LocalProvider(join(server.home, 'nodes'), childEnv(), cliPath);
    const burstNodes = async (): Promise<string[]> => (await nodesOf('burst')).map((n) => n.nodeId).sort();
    const running = async (): Promise<string[]> =>
      (await provider.list())
        .map((n) => n.nodeId)
        .filter((id) => id.startsWith('burst-'))
        .sort();
    // Every agent running is a node the store knows, and the other way round; never more than max.
    const agreed = await waitFor(
      async () => {
        const [stored, live] = [await burstNodes(), await running()];
        return JSON.stringify(stored) === JSON.stringify(live) ? live : undefined;
      },
      'the store and the provider to agree',
      30_000,
    );
    expect(agreed.length).toBeLessThanOrEqual(3);
  });
});
