import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Loops pass every 10 ms, so they write a compute's status (node counts, allocation state) often.
// Every store call waits 2 ms, as a networked database would answer: loop writes land between a
// PATCH's read and its write (with SQLite answering at once, nothing could come in between).
const config = {
  reconcileIntervalMs: 10,
  testStoreLatencyMs: 2,
  jobs: { heartbeatIntervalMs: 100 },
  locations: [{ name: 'local', quota: { dedicatedCoresPerFamily: { standardDv2Family: 16 } } }],
};
const path = '/api/workspaces/default/computes/busy';
let server: ServerProcess;

type ComputeEvent = { reason: string };
const events = async (): Promise<ComputeEvent[]> =>
  (await api(server.url, 'GET', `${path}/events?$top=1000`)).body.value as ComputeEvent[];
const count = (log: ComputeEvent[], reason: string): number => log.filter((e) => e.reason === reason).length;

beforeAll(async () => {
  server = await startServerProcess({ config });
}, 60_000);

afterAll(async () => {
  await api(server.url, 'DELETE', path);
  await waitFor(
    async () => (await api(server.url, 'GET', path)).status === 404,
    'the cluster to go',
    60_000,
  ).catch(() => undefined);
  await server.stop();
}, 90_000);

describe('status is written apart from the spec', () => {
  it('a user PATCH racing loop writes never gets a 409 it did not cause; the last PATCH is what a read shows', async () => {
    const scale = { minNodeCount: 1, maxNodeCount: 3, nodeIdleTimeBeforeScaleDown: 'PT1S' };
    const created = await api(server.url, 'PUT', path, {
      properties: {
        computeType: 'AmlCompute',
        properties: { vmSize: 'STANDARD_D2_V2', scaleSettings: scale },
      },
    });
    expect(created.status).toBe(201);
    await waitFor(
      async () => {
        const c = (await api(server.url, 'GET', path)).body;
        return (
          c.properties.provisioningState === 'Succeeded' &&
          c.properties.properties.nodeStateCounts?.idleNodeCount === 1
        );
      },
      'the cluster to hold its minimum node',
      60_000,
    );
    const before = await events();

    // Each PATCH is one read-modify-write on the server; the client reads nothing in between. The
    // minimum flips between 1 and 3 every 10 PATCHes, so the node-pool loop starts and releases
    // nodes and writes the compute's observed status while the PATCHes land.
    const answers: number[] = [];
    const refused: unknown[] = [];
    for (let i = 0; i < 200; i++) {
      const min = Math.floor(i / 10) % 2 === 0 ? 3 : 1;
      const r = await api(server.url, 'PATCH', path, {
        tags: { round: String(i) },
        properties: { description: `round ${i}`, properties: { scaleSettings: { minNodeCount: min } } },
      });
      answers.push(r.status);
      if (r.status !== 200) refused.push({ round: i, status: r.status, body: r.body });
      else expect(r.body.tags).toEqual({ round: String(i) });
    }
    expect(refused).toEqual([]);
    expect(answers.every((s) => s === 200)).toBe(true);

    // The loops did write while the PATCHes landed: nodes were started (and their counts written).
    const after = await events();
    expect(count(after, 'NodeProvisioned')).toBeGreaterThan(count(before, 'NodeProvisioned'));
    expect(count(after, 'Updated') - count(before, 'Updated')).toBe(200);

    // What a read shows is the last PATCH, and the status the loops wrote is still there.
    const shown = (await api(server.url, 'GET', path)).body;
    expect(shown.tags).toEqual({ round: '199' });
    expect(shown.properties.description).toBe('round 199');
    expect(shown.properties.properties.scaleSettings).toEqual({ ...scale, minNodeCount: 1 });
    expect(shown.properties.provisioningState).toBe('Succeeded');
    expect(typeof shown.properties.properties.currentNodeCount).toBe('number');
    // And the loops go on writing status after it: the pool settles at the last minimum.
    await waitFor(
      async () => {
        const p = (await api(server.url, 'GET', path)).body.properties.properties;
        return p.currentNodeCount === 1 && p.allocationState === 'Steady';
      },
      'the pool to settle at the last minimum',
      60_000,
    );
  }, 240_000);
});
