import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { ensureTestUser, startSshd } from '../helpers/sshd.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { childEnv, cliPath, repoRoot, tempDir, waitFor } from '../helpers/processes.js';
import { describeProviderContract } from '../../src/providers/provider-contract.js';
import { LocalSlurmCommands } from '../../src/providers/slurm/slurm-commands.js';
import { SlurmProvider } from '../../src/providers/slurm/slurm-provider.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// A real Slurm (Debian's slurm-wlm): slurmctld and four slurmd on this host, config and state in a
// temp folder (scripts/slurm-cluster.sh). Hangar's nodes are Slurm batch jobs running `hangar agent`.
let server: ServerProcess;
let slurmDir: string;
let slurmConf: string;
const slurmEnv = (): NodeJS.ProcessEnv => ({ ...process.env, SLURM_CONF: slurmConf });
const squeue = (): string[] =>
  execFileSync('squeue', ['-h', '-o', '%j|%T|%P'], { env: slurmEnv(), encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith('hangar-'));
const cli = (...args: string[]) => runCli(args, { url: server.url });
const logOf = async (name: string, attempt?: number): Promise<string> =>
  (
    await serverFetch(
      `${server.url}/api/workspaces/default/jobs/${name}/logs${attempt ? `?attempt=${attempt}` : ''}`,
    )
  ).text();

beforeAll(async () => {
  slurmDir = tempDir('hangar-slurm-');
  slurmConf = execFileSync('bash', [join(repoRoot, 'scripts', 'slurm-cluster.sh'), 'start', slurmDir, '4'], {
    encoding: 'utf8',
  }).trim();
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 2 } },
  });
  const attached = await cli(
    'compute',
    'attach',
    '--type',
    'slurm',
    '--name',
    'hpc',
    '--partition',
    'debug',
    '--min-instances',
    '0',
    '--max-instances',
    '2',
    '--idle-time-before-scale-down',
    '3',
    '--slurm-conf',
    slurmConf,
  );
  expect(attached.code, attached.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/hpc');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/hpc')).status === 404,
    'hpc to be detached',
    30_000,
  ).catch(() => undefined);
  await server.stop();
  // Whatever is left (a cancel racing a start can orphan a step without cgroups) goes with the cluster.
  execFileSync(
    'scancel',
    ['--full', '-u', String(process.getuid?.() === 0 ? 'root' : (process.env.USER ?? ''))],
    { env: slurmEnv() },
  );
  execFileSync('bash', [join(repoRoot, 'scripts', 'slurm-cluster.sh'), 'stop', slurmDir]);
}, 60_000);

// The same provider contract the local provider passes; agents point at a port nothing listens on.
describeProviderContract('slurm', () =>
  Promise.resolve({
    provider: new SlurmProvider(
      'slurm:contract',
      new LocalSlurmCommands(childEnv(), slurmConf),
      { partition: 'debug' },
      join(tempDir(), 'nodes'),
      cliPath,
    ),
    serverUrl: 'http://127.0.0.1:1',
  }),
);

describe('an attached Slurm cluster', () => {
  it("refuses a bad partition with Slurm's own words", async () => {
    const r = await cli(
      'compute',
      'attach',
      '--type',
      'slurm',
      '--name',
      'nowhere',
      '--partition',
      'nope',
      '--max-instances',
      '1',
      '--slurm-conf',
      slurmConf,
    );
    expect(r.code).toBe(1);
    const c = (await api(server.url, 'GET', '/api/workspaces/default/computes/nowhere')).body;
    expect(c.properties.provisioningState).toBe('Failed');
    expect(c.properties.provisioningErrors[0].error).toMatchObject({ code: 'ProviderError' });
    expect(c.properties.provisioningErrors[0].error.message).toContain('Invalid partition name specified');
    await api(server.url, 'DELETE', '/api/workspaces/default/computes/nowhere');
  });

  it('runs a job on a Slurm allocation, scales 0 → 2 → 0 as squeue shows', async () => {
    expect(squeue()).toEqual([]);
    const sleeper = jobFolder({
      command: 'echo "slurm job $SLURM_JOB_ID"; sleep 3; echo done',
      compute: 'hpc',
    });
    for (const name of ['s-a', 's-b'])
      expect((await cli('job', 'create', '-f', sleeper, '--name', name)).code).toBe(0);
    const two = await waitFor(
      () => {
        const q = squeue().filter((l) => l.includes('|RUNNING|debug'));
        return q.length === 2 ? q : undefined;
      },
      'two Slurm allocations',
      30_000,
      100,
    );
    expect(two).toHaveLength(2);
    for (const name of ['s-a', 's-b'])
      expect((await waitForEnd(server.url, name)).properties.status).toBe('Completed');
    expect(await logOf('s-a')).toMatch(/slurm job \d+\ndone/);
    await waitFor(
      () => squeue().length === 0,
      'the allocations to be released after the idle time',
      30_000,
      200,
    );
    // The release is recorded once scancel has taken effect, a moment after squeue empties.
    const released = async (): Promise<number> =>
      (
        (await api(server.url, 'GET', '/api/workspaces/default/computes/hpc/events?$top=200')).body
          .value as any[]
      ).filter((e) => e.reason === 'NodeReleased').length;
    expect(
      await waitFor(
        async () => ((await released()) >= 2 ? released() : undefined),
        'both releases to be recorded',
        10_000,
        100,
      ),
    ).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('turns a Slurm requeue (preemption) into a preempted node: the job resumes from its checkpoint', async () => {
    const trainer = `import os, signal, sys, time
ckpt = os.path.join(os.environ["HANGAR_CHECKPOINT_DIR"], "step")
start = int(open(ckpt).read()) if os.path.exists(ckpt) else 0
print(f"attempt {os.environ['HANGAR_ATTEMPT']} starts at step {start}", flush=True)
signal.signal(signal.SIGTERM, lambda s, f: sys.exit(0))
for step in range(start, 30):
    time.sleep(0.2)
    open(ckpt + ".tmp", "w").write(str(step + 1)); os.replace(ckpt + ".tmp", ckpt)
print("done", flush=True)
`;
    expect(
      (
        await cli(
          'job',
          'create',
          '-f',
          jobFolder({ command: 'python3 train.py', compute: 'hpc' }, { 'train.py': trainer }),
          '--name',
          'requeued',
        )
      ).code,
    ).toBe(0);
    await waitFor(
      async () =>
        (await logOf('requeued')).includes('attempt 1 starts at step 0') &&
        (await logOf('requeued')).match(/step|starts/),
      'the first attempt to run',
      30_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const jobId =
      execFileSync('squeue', ['-h', '-t', 'RUNNING', '-o', '%i'], { env: slurmEnv(), encoding: 'utf8' })
        .trim()
        .split('\n')[0] ?? '';
    execFileSync('scontrol', ['requeue', jobId], { env: slurmEnv() });
    const done = await waitForEnd(server.url, 'requeued', 60_000);
    expect(done.properties.status).toBe('Completed');
    const attempts = done.properties.attempts as { attempt: number; preempted?: boolean }[];
    expect(attempts[0]?.preempted).toBe(true);
    const second = await logOf('requeued', attempts[attempts.length - 1]?.attempt);
    expect(second).toMatch(/attempt \d starts at step ([1-9]\d*)/);
    expect(second).toContain('done');
    const events = (
      (await api(server.url, 'GET', '/api/workspaces/default/computes/hpc/events?$top=500')).body
        .value as any[]
    ).map((e) => `${e.reason as string} ${e.message as string}`);
    expect(events.some((e) => e.startsWith('NodePreempted') && e.includes('Slurm'))).toBe(true);
  }, 120_000);

  it('runs a two-node job across two allocations', async () => {
    const script =
      'import os; print("rank", os.environ["RANK"], "of", os.environ["WORLD_SIZE"], "master", os.environ["MASTER_ADDR"])';
    const yml = jobFolder(
      {
        command: 'python3 rank.py',
        compute: 'hpc',
        resources: { instance_count: 2 },
        distribution: { type: 'pytorch', process_count_per_instance: 1 },
      },
      { 'rank.py': script },
    );
    const r = await cli('job', 'create', '-f', yml, '--name', 'two-nodes');
    expect(r.code, r.stderr).toBe(0);
    const done = await waitForEnd(server.url, 'two-nodes', 90_000);
    expect(done.properties.status).toBe('Completed');
    expect(await logOf('two-nodes')).toContain('rank 0 of 2');
    expect(
      await (await serverFetch(`${server.url}/api/workspaces/default/jobs/two-nodes_rank1/logs`)).text(),
    ).toContain('rank 1 of 2');
  }, 120_000);

  it.runIf(process.getuid?.() === 0)(
    'reaches sbatch over SSH on a login node: the agent is installed there and jobs run as the login user',
    async () => {
      const user = 'hangar-login';
      ensureTestUser(user);
      const sshd = await startSshd();
      try {
        const key = join(tempDir(), 'id');
        execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
        sshd.authorize(user, readFileSync(`${key}.pub`, 'utf8'));
        // The login user reads the cluster's config like any Slurm user.
        chmodSync(slurmDir, 0o755);
        chmodSync(slurmConf, 0o644);
        const r = await cli(
          'compute',
          'attach',
          '--type',
          'slurm',
          '--name',
          'hpc-login',
          '--partition',
          'debug',
          '--max-instances',
          '1',
          '--idle-time-before-scale-down',
          '2',
          '--login-host',
          `${user}@127.0.0.1:${sshd.port}`,
          '--ssh-private-key-file',
          key,
          '--slurm-conf',
          slurmConf,
        );
        expect(r.code, r.stderr).toBe(0);
        const run = await cli(
          'job',
          'create',
          '-f',
          jobFolder({ command: 'echo "as $(whoami) in slurm job $SLURM_JOB_ID"', compute: 'hpc-login' }),
          '--name',
          'via-login',
          '--stream',
        );
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toMatch(new RegExp(`as ${user} in slurm job \\d+`));
        await api(server.url, 'DELETE', '/api/workspaces/default/computes/hpc-login');
        await waitFor(
          async () =>
            (await api(server.url, 'GET', '/api/workspaces/default/computes/hpc-login')).status === 404,
          'hpc-login to go',
          30_000,
        );
      } finally {
        await sshd.stop();
        execFileSync('bash', ['-c', `pkill -KILL -u ${user} || true`]);
      }
    },
    120_000,
  );

  it("refuses a size no Slurm node can hold, in Slurm's words", async () => {
    // 16 vCPUs per allocation on nodes of 2 CPUs: Slurm says the configuration is not available.
    const c = await api(server.url, 'PUT', '/api/workspaces/default/computes/hpc-qos', {
      properties: {
        computeType: 'Slurm',
        properties: {
          partition: 'debug',
          vmSize: 'Standard_D16_v3',
          slurmConf,
          scaleSettings: { minNodeCount: 0, maxNodeCount: 1 },
        },
      },
    });
    expect(c.status).toBe(201);
    const state = await waitFor(
      async () => {
        const b = (await api(server.url, 'GET', '/api/workspaces/default/computes/hpc-qos')).body;
        return b.properties.provisioningState !== 'Creating' ? b : undefined;
      },
      'the attach check',
      20_000,
    );
    expect(state.properties.provisioningState).toBe('Failed');
    expect(state.properties.provisioningErrors[0].error.message).toContain(
      'Requested node configuration is not available',
    );
    await api(server.url, 'DELETE', '/api/workspaces/default/computes/hpc-qos');
  });
});
