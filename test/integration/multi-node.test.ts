import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess, serverFetch } from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });
const job = async (name: string) =>
  (await api(server.url, 'GET', `/api/workspaces/default/jobs/${name}`)).body;

// A small all-reduce over TCP at MASTER_ADDR:MASTER_PORT: every rank sends rank + 1, rank 0 sums
// and sends the total back (what torch.distributed's gloo backend does, without torch).
const allReduce = `import os, socket, time
rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
addr, port = os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"])
value = rank + 1
if rank == 0:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen()
    total, conns = value, []
    for _ in range(world - 1):
        c, _ = srv.accept()
        total += int(c.recv(64).decode())
        conns.append(c)
    for c in conns:
        c.sendall(str(total).encode())
        c.close()
else:
    for _ in range(300):
        try:
            s = socket.create_connection((addr, port), timeout=5)
            break
        except OSError:
            time.sleep(0.1)
    s.sendall(str(value).encode())
    total = int(s.recv(64).decode())
print(f"rank {rank} of {world} (node {os.environ['NODE_RANK']}, local {os.environ['LOCAL_RANK']}): sum {total}", flush=True)
`;

beforeAll(async () => {
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 2 } },
  });
  await createCluster(server.url, 'ddp', 0, 2);
  const spot = await api(server.url, 'PUT', '/api/workspaces/default/computes/ddp-spot', {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize: 'STANDARD_D2_V2',
        vmPriority: 'LowPriority',
        scaleSettings: { minNodeCount: 0, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: 'PT600S' },
      },
    },
  });
  expect(spot.status).toBeLessThan(300);
}, 60_000);

afterAll(async () => {
  for (const name of ['ddp', 'ddp-spot'])
    await api(server.url, 'DELETE', `/api/workspaces/default/computes/${name}`);
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.length === 0,
    'the clusters to go',
    30_000,
  );
  await server.stop();
});

describe('multi-node jobs', () => {
  it('a two-node pytorch job rendezvouses over TCP and completes; the user sees one job', async () => {
    const yml = jobFolder(
      {
        command: 'python reduce.py',
        compute: 'ddp',
        resources: { instance_count: 2 },
        distribution: { type: 'pytorch' },
      },
      { 'reduce.py': allReduce },
    );
    const r = await cli(['job', 'create', '-f', yml, '--name', 'ddp-2', '--stream']);
    expect(r.stderr).toContain('Completed');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('rank 0 of 2 (node 0, local 0): sum 3');
    const rank1 = await (
      await serverFetch(`${server.url}/api/workspaces/default/jobs/ddp-2_rank1/logs`)
    ).text();
    expect(rank1).toContain('rank 1 of 2 (node 1, local 0): sum 3');
    const [r0, r1] = [await job('ddp-2_rank0'), await job('ddp-2_rank1')];
    expect(r0.properties.attempts[0].nodeId).not.toBe(r1.properties.attempts[0].nodeId);
    const listed = (await api(server.url, 'GET', '/api/workspaces/default/jobs')).body.value.map(
      (j: { name: string }) => j.name,
    );
    expect(listed).toContain('ddp-2');
    expect(listed.some((n: string) => n.startsWith('ddp-2_rank'))).toBe(false);
  });

  it('process_count_per_instance starts that many ranked processes per node', async () => {
    const yml = jobFolder(
      {
        command: 'python reduce.py',
        compute: 'ddp',
        resources: { instance_count: 2 },
        distribution: { type: 'pytorch', process_count_per_instance: 2 },
      },
      { 'reduce.py': allReduce },
    );
    const r = await cli(['job', 'create', '-f', yml, '--name', 'ddp-4', '--stream']);
    expect(r.code).toBe(0);
    // Ranks 0..3 over 2 nodes: 1 + 2 + 3 + 4 = 10 everywhere.
    expect(r.stdout).toContain('rank 0 of 4 (node 0, local 0): sum 10');
    expect(r.stdout).toContain('rank 1 of 4 (node 0, local 1): sum 10');
    const rank1 = await (
      await serverFetch(`${server.url}/api/workspaces/default/jobs/ddp-4_rank1/logs`)
    ).text();
    expect(rank1).toContain('rank 3 of 4 (node 1, local 1): sum 10');
  });

  it('when one rank fails the whole job stops and fails, naming the rank', async () => {
    const yml = jobFolder({
      command: 'if [ "$NODE_RANK" = 1 ]; then sleep 1; exit 7; fi; sleep 300',
      compute: 'ddp',
      resources: { instance_count: 2 },
      distribution: { type: 'mpi' },
    });
    expect((await cli(['job', 'create', '-f', yml, '--name', 'ddp-fail'])).code).toBe(0);
    const done = await waitForEnd(server.url, 'ddp-fail', 60_000);
    expect(done.properties.status).toBe('Failed');
    expect(done.properties.error.message).toContain('rank 1 failed');
    expect((await waitForEnd(server.url, 'ddp-fail_rank0', 30_000)).properties.status).toBe('Canceled');
  });

  it('a preempted rank makes the whole gang checkpoint and restart together, then complete', async () => {
    const yml = jobFolder(
      {
        command: 'python reduce.py && sleep 4',
        compute: 'ddp-spot',
        resources: { instance_count: 2 },
        distribution: { type: 'pytorch' },
      },
      { 'reduce.py': allReduce },
    );
    expect((await cli(['job', 'create', '-f', yml, '--name', 'ddp-spot-1'])).code).toBe(0);
    await waitFor(
      async () =>
        (
          await (await serverFetch(`${server.url}/api/workspaces/default/jobs/ddp-spot-1/logs`)).text()
        ).includes('sum 3'),
      'the first rendezvous',
      60_000,
    );
    const node = (await job('ddp-spot-1_rank1')).properties.attempts[0].nodeId as string;
    expect(
      (await api(server.url, 'POST', `/api/workspaces/default/computes/ddp-spot/nodes/${node}/preempt`))
        .status,
    ).toBe(202);
    const done = await waitForEnd(server.url, 'ddp-spot-1', 90_000);
    expect(done.properties.status).toBe('Completed');
    for (const name of ['ddp-spot-1_rank0', 'ddp-spot-1_rank1']) {
      const attempts = (await job(name)).properties.attempts as { preempted?: boolean; status: string }[];
      expect(attempts).toHaveLength(2);
      expect(attempts[0]?.preempted).toBe(true);
      expect(attempts[1]?.status).toBe('Completed');
    }
  });

  it('asking for more nodes than the cluster can have fails at once', async () => {
    const r = await cli([
      'job',
      'create',
      '-f',
      jobFolder({ command: 'true', compute: 'ddp', resources: { instance_count: 3 } }),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('3 nodes requested but ddp has at most 2');
  });
});
