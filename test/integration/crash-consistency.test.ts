import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createCluster } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { api, killNodes, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const kills = 50;
const home = tempDir('hangar-crash-');
let server: ServerProcess | undefined;

afterAll(async () => {
  if (server) {
    await api(server.url, 'DELETE', '/api/workspaces/default/computes/gangs');
    await waitFor(
      async () =>
        server && (await api(server.url, 'GET', '/api/workspaces/default/computes/gangs')).status === 404,
      'the cluster to go',
      30_000,
    ).catch(() => undefined);
    await server.stop();
  }
  killNodes(home);
  killAgentsOf(home);
});

/** A server killed between starting an agent and writing its pid file leaves an agent no pid file names. */
function killAgentsOf(dir: string): void {
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`--work-dir\0${dir}/`))
        process.kill(-Number(pid), 'SIGKILL');
    } catch {
      /* gone, or not a group leader */
    }
  }
}

/** Writes as fast as it can until told to stop: three-node jobs, and attached machines with a password. */
function writeLoad(url: string, round: number, stop: { now: boolean; wrote: number }): Promise<void>[] {
  let n = 0;
  const worker = async (w: number): Promise<void> => {
    while (!stop.now) {
      const id = `r${round}w${w}n${n++}`;
      const write =
        n % 2 === 0
          ? api(url, 'PUT', `/api/workspaces/default/jobs/gang-${id}`, {
              spec: {
                command: 'true',
                compute: 'gangs',
                resources: { instance_count: 3 },
                distribution: { type: 'pytorch' },
              },
            })
          : api(url, 'PUT', `/api/workspaces/default/computes/vm-${id}`, {
              properties: {
                computeType: 'VirtualMachine',
                properties: {
                  address: '127.0.0.1',
                  sshPort: 1,
                  administratorAccount: { username: 'u', password: `pw-${id}` },
                },
              },
            });
      if ((await write.catch(() => ({ status: 0 }))).status === 201) stop.wrote++;
    }
  };
  return [0, 1, 2, 3].map(worker);
}

/** What a crash must never leave: a gang without all its ranks, a compute without its secrets, a damaged file. */
async function inspect(): Promise<{ found: string[]; gangs: number; machines: number }> {
  const path = join(home, 'hangar.db');
  const db = new Database(path);
  const integrity = db.pragma('integrity_check', { simple: true });
  db.close();
  const store = new SqliteStore(path);
  try {
    const found: string[] = integrity === 'ok' ? [] : [`integrity_check: ${String(integrity)}`];
    const jobs = await store.jobs.all({});
    for (const parent of jobs.filter((j) => j.gang && j.gang.parent === undefined)) {
      const ranks = jobs.filter(
        (j) => j.gang?.parent === parent.name && j.workspace === parent.workspace,
      ).length;
      if (ranks !== parent.gang?.size)
        found.push(`job ${parent.name} has ${ranks} of ${parent.gang?.size} ranks`);
    }
    for (const rank of jobs.filter((j) => j.gang?.parent !== undefined)) {
      if (!jobs.some((j) => j.name === rank.gang?.parent && j.workspace === rank.workspace))
        found.push(`rank ${rank.name} has no parent`);
    }
    const machines = (await store.computes.all({})).filter((c) => c.spec.computeType === 'VirtualMachine');
    for (const c of machines) {
      if (Object.keys(await store.secrets.list(c.id)).length === 0)
        found.push(`compute ${c.name} has no secrets`);
    }
    return {
      found,
      gangs: jobs.filter((j) => j.gang && j.gang.parent === undefined).length,
      machines: machines.length,
    };
  } finally {
    await store.close();
  }
}

describe('crash consistency', () => {
  it(`kill -9 ${kills} times during writes: no half-written multi-node job, no compute without its secrets, integrity ok`, async () => {
    server = await startServerProcess({ home, config: { reconcileIntervalMs: 1000 } });
    const port = Number(new URL(server.url).port);
    await createCluster(server.url, 'gangs', 0, 3);
    let seen = { found: [] as string[], gangs: 0, machines: 0 };
    for (let round = 0; round < kills; round++) {
      const stop = { now: false, wrote: 0 };
      const load = writeLoad(server.url, round, stop);
      // Kill while writes flow: some time after the first one is acknowledged.
      await waitFor(() => stop.wrote > 0, 'a first write', 30_000, 5);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
      await server.kill9();
      stop.now = true;
      await Promise.all(load);
      seen = await inspect();
      expect(seen.found).toEqual([]);
      server = await startServerProcess({ home, port, config: { reconcileIntervalMs: 1000 } });
    }
    // The load really wrote between the kills (an idle server would prove nothing).
    expect(seen.gangs).toBeGreaterThan(kills);
    expect(seen.machines).toBeGreaterThan(kills);
  }, 400_000);
});
