import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder, waitForEnd, waitForJob } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess, serverFetch } from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });
const logOf = async (name: string, attempt?: number): Promise<string> =>
  (
    await serverFetch(
      `${server.url}/api/workspaces/default/jobs/${name}/logs${attempt ? `?attempt=${attempt}` : ''}`,
    )
  ).text();

// Counts to 40, saving its step in the checkpoint folder; on SIGTERM it reads the preemption
// deadline, saves and exits, as a well-behaved training script does.
const trainer = `import os, signal, sys, time
ckpt = os.path.join(os.environ["HANGAR_CHECKPOINT_DIR"], "step")
start = int(open(ckpt).read()) if os.path.exists(ckpt) else 0
print(f"attempt {os.environ['HANGAR_ATTEMPT']} starts at step {start}", flush=True)
def on_term(signum, frame):
    deadline = open(os.environ["HANGAR_PREEMPTION_FILE"]).read().strip()
    print(f"preempted; must stop by {deadline}", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
for step in range(start, 40):
    time.sleep(0.1)
    with open(ckpt + ".tmp", "w") as f:
        f.write(str(step + 1))
    os.replace(ckpt + ".tmp", ckpt)
    print(f"step {step + 1}", flush=True)
print("done", flush=True)
`;

beforeAll(async () => {
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 5 } },
  });
  const made = await cli([
    'compute',
    'create',
    '-n',
    'spot',
    '--type',
    'amlcompute',
    '--size',
    'STANDARD_D2_V2',
    '--min-instances',
    '1',
    '--max-instances',
    '2',
    '--idle-time-before-scale-down',
    '600',
    '--tier',
    'low_priority',
  ]);
  expect(made.code).toBe(0);
}, 60_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/spot');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/spot')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('low-priority preemption', () => {
  it('a preempted job stops with a grace period, goes back to the queue and resumes from its checkpoint elsewhere', async () => {
    expect(
      (
        await cli([
          'job',
          'create',
          '-f',
          jobFolder({ command: 'python train.py', compute: 'spot' }, { 'train.py': trainer }),
          '--name',
          'resumable',
        ])
      ).code,
    ).toBe(0);
    const running = await waitForJob(
      server.url,
      'resumable',
      (j) => j.properties.status === 'Running',
      'to run',
      60_000,
    );
    await waitFor(async () => (await logOf('resumable')).includes('step 8'), 'some progress', 30_000);
    const preempted = await cli([
      'compute',
      'preempt-node',
      '-n',
      'spot',
      '--node-id',
      running.properties.attempts[0].nodeId,
      '-o',
      'json',
    ]);
    expect(preempted.code).toBe(0);
    expect(JSON.parse(preempted.stdout)).toMatchObject({
      node_state: 'preempted',
      reason: 'preempted by an administrator',
    });
    const done = await waitForEnd(server.url, 'resumable', 90_000);
    expect(done.properties.status).toBe('Completed');
    const [first, second] = done.properties.attempts;
    expect(first).toMatchObject({ attempt: 1, preempted: true });
    expect(first.reason).toContain('preempted');
    expect(second.attempt).toBe(2);
    expect(second.nodeId).not.toBe(first.nodeId);
    const firstLog = await logOf('resumable', 1);
    expect(firstLog).toMatch(/preempted; must stop by \d{4}-\d\d-\d\dT/);
    const secondLog = await logOf('resumable', 2);
    const resumedAt = Number(/attempt 2 starts at step (\d+)/.exec(secondLog)?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(8);
    expect(secondLog).toContain('done');
    expect(secondLog).not.toContain('step 1\n');
    const events = (await api(server.url, 'GET', '/api/workspaces/default/computes/spot/events?$top=200'))
      .body.value as { reason: string; message: string }[];
    expect(events.some((e) => e.reason === 'NodePreempted')).toBe(true);
    expect(
      events.some((e) => e.reason === 'NodeReleased' && e.message.includes('preempted by an administrator')),
    ).toBe(true);
  });

  it('only low-priority clusters can be preempted, and only their own nodes', async () => {
    await cli([
      'compute',
      'create',
      '-n',
      'steady',
      '--type',
      'amlcompute',
      '--size',
      'STANDARD_D2_V2',
      '--min-instances',
      '0',
      '--max-instances',
      '1',
    ]);
    const dedicated = await cli(['compute', 'preempt-node', '-n', 'steady', '--node-id', 'x']);
    expect(dedicated.code).toBe(1);
    expect(dedicated.stderr).toContain('OperationNotSupported');
    const stranger = await cli(['compute', 'preempt-node', '-n', 'spot', '--node-id', 'steady-00000000']);
    expect(stranger.stderr).toContain("NotFound: Node 'steady-00000000' is not a node of 'spot'");
    await api(server.url, 'DELETE', '/api/workspaces/default/computes/steady');
  });
});

describe('random preemption (locations[].lowPriorityPreemption)', () => {
  it('preempts low-priority nodes at random, never dedicated ones, and replaces them', async () => {
    const chaotic = await startServerProcess({
      config: {
        reconcileIntervalMs: 200,
        jobs: { heartbeatIntervalMs: 300 },
        locations: [{ name: 'local', lowPriorityPreemption: { meanIntervalSeconds: 1 } }],
      },
    });
    const run = (args: string[]) => runCli(args, { url: chaotic.url });
    const eventsOf = async (name: string): Promise<{ reason: string; message: string }[]> =>
      (await api(chaotic.url, 'GET', `/api/workspaces/default/computes/${name}/events?$top=500`)).body.value;
    try {
      expect(
        (
          await run([
            'compute',
            'create',
            '-n',
            'cheap',
            '--type',
            'amlcompute',
            '--size',
            'STANDARD_D2_V2',
            '--min-instances',
            '1',
            '--max-instances',
            '1',
            '--tier',
            'low_priority',
          ])
        ).code,
      ).toBe(0);
      expect(
        (
          await run([
            'compute',
            'create',
            '-n',
            'solid',
            '--type',
            'amlcompute',
            '--size',
            'STANDARD_D2_V2',
            '--min-instances',
            '1',
            '--max-instances',
            '1',
          ])
        ).code,
      ).toBe(0);
      // One preemption per second on average: the chance of none in 30 s is e^-30 once the node is up.
      const hit = await waitFor(
        async () => (await eventsOf('cheap')).find((e) => e.reason === 'NodePreempted'),
        'a random preemption',
        30_000,
      );
      expect(hit.message).toContain('random preemption in local');
      await waitFor(
        async () => (await eventsOf('cheap')).filter((e) => e.reason === 'NodeProvisioned').length >= 2,
        'a replacement node',
        30_000,
      );
      expect((await eventsOf('solid')).some((e) => e.reason === 'NodePreempted')).toBe(false);
    } finally {
      for (const name of ['cheap', 'solid'])
        await api(chaotic.url, 'DELETE', `/api/workspaces/default/computes/${name}`);
      await waitFor(
        async () =>
          (await api(chaotic.url, 'GET', '/api/workspaces/default/computes/cheap')).status === 404 &&
          (await api(chaotic.url, 'GET', '/api/workspaces/default/computes/solid')).status === 404,
        'the clusters to go',
        30_000,
      );
      await chaotic.stop();
    }
  });
});
