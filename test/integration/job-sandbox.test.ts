import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, jobFolder, waitForEnd, waitForJob } from '../helpers/job-fixtures.js';
import { processesWithEnv } from '../helpers/job-processes.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import {
  adminToken,
  api,
  serverFetch,
  startServerProcess,
  type ServerProcess,
} from '../helpers/server-process.js';

// Real server, real agents, real bubblewrap: what a job can and cannot reach on its node.
const marker = `marker-${randomUUID()}`;
const asRoot = process.getuid?.() === 0;
let server: ServerProcess;

const mode = (path: string): number => statSync(path).mode & 0o777;

async function runJob(
  s: ServerProcess,
  name: string,
  command: string,
  spec: Record<string, unknown> = {},
): Promise<{ job: any; log: string }> {
  const yml = jobFolder({ command, compute: 'sbx', ...spec });
  const created = await runCli(['job', 'create', '-f', yml, '--name', name], { url: s.url });
  expect(created.code, created.stderr).toBe(0);
  const job = await waitForEnd(s.url, name);
  const log = await (await serverFetch(`${s.url}/api/workspaces/default/jobs/${name}/logs`)).text();
  return { job: job.properties, log };
}

/** Agent pids of a server's local nodes. */
function agentPids(home: string): number[] {
  const nodes = join(home, 'nodes');
  return readdirSync(nodes).flatMap((n) =>
    existsSync(join(nodes, n, 'agent.pid'))
      ? [Number(readFileSync(join(nodes, n, 'agent.pid'), 'utf8'))]
      : [],
  );
}

beforeAll(async () => {
  // A home made with ordinary modes before the server's first start: the server must tighten it.
  const home = tempDir('hangar-home-');
  chmodSync(home, 0o755);
  server = await startServerProcess({
    home,
    env: { SECRET_MARKER: marker, PASSED_THROUGH: 'by-the-allowlist' },
    // Small snapshots: the outputs test overflows the limit; the other jobs upload nothing.
    config: {
      reconcileIntervalMs: 200,
      snapshotMaxBytes: 8192,
      jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 2, envPassthrough: ['PASSED_THROUGH'] },
    },
  });
  await createCluster(server.url, 'sbx', 1, 1);
}, 120_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/sbx');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/sbx')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('the job sandbox', () => {
  it('a job sees only its own processes, and /proc/<server pid>/root does not lead to HANGAR_HOME', async () => {
    const token = adminToken(server.url) ?? '';
    expect(token).not.toBe('');
    const creds = `/proc/${server.child.pid}/root${server.home}/admin-credentials.json`;
    const { job, log } = await runJob(
      server,
      'proc-escape',
      `cat ${creds}; echo "read=$?"; echo "pids: $(ls /proc | grep -E '^[0-9]+$' | tr '\\n' ' ')"`,
    );
    expect(job.status, log).toBe('Completed');
    expect(log).not.toContain(token);
    expect(log).toMatch(/read=[1-9]/);
    const pids = (/pids: (.*)/.exec(log)?.[1] ?? '')
      .trim()
      .split(' ')
      .filter((p) => p !== '');
    // bwrap's init, the job's shell and its pipeline: a handful, none of them the server.
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.length).toBeLessThanOrEqual(8);
    expect(pids).not.toContain(String(server.child.pid));
  });

  it("a job's environment is built from scratch: the spec's variables and Hangar's, nothing of the server's", async () => {
    const { job, log } = await runJob(server, 'env-dump', 'env', {
      environment_variables: { MY_SPEC_VAR: 'from-the-spec' },
    });
    expect(job.status, log).toBe('Completed');
    expect(log).toContain('MY_SPEC_VAR=from-the-spec');
    // Only what the operator allowed by name (jobs.envPassthrough) comes from the server's environment.
    expect(log).toContain('PASSED_THROUGH=by-the-allowlist');
    expect(log).toContain('HANGAR_JOB_NAME=env-dump');
    expect(log).toContain('MLFLOW_TRACKING_URI=');
    expect(log).toContain('MSI_ENDPOINT=');
    expect(log).toMatch(/^HOME=\/.*env-dump\/1\/home$/m);
    // The Azure ML SDK's CA bundle, written by the agent into the attempt's folder.
    expect(log).toMatch(/^REQUESTS_CA_BUNDLE=\/.*env-dump\/1\/ca-bundle\.pem$/m);
    expect(log).not.toContain(marker);
    expect(log).not.toContain('SECRET_MARKER');
    expect(log).not.toContain('HANGAR_TEST_CHILD');
    expect(log).not.toContain('HANGAR_HOME');
    // Every variable is one the job was meant to get (bash adds PWD, SHLVL and _).
    const names = log
      .split('\n')
      .filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
      .map((l) => l.slice(0, l.indexOf('=')));
    const unexpected = names.filter(
      (n) =>
        !/^(HANGAR_.*|MLFLOW_.*|MSI_.*|IDENTITY_.*|AZUREML_.*|REQUESTS_CA_BUNDLE|DEFAULT_IDENTITY_CLIENT_ID|MY_SPEC_VAR|PASSED_THROUGH|PATH|HOME|USER|LOGNAME|LANG|PYTHONPATH|PYTHONUNBUFFERED|PWD|OLDPWD|SHLVL|_)$/.test(
          n,
        ),
    );
    expect(unexpected).toEqual([]);
  });

  it('agents get their one-time token through a file, never on their command line', () => {
    const pids = agentPids(server.home);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toContain('--token-file');
      expect(argv).not.toContain('--token');
      // Read and deleted at start.
      expect(existsSync(argv[argv.indexOf('--token-file') + 1] ?? '')).toBe(false);
    }
  });

  it('HANGAR_HOME and node folders are 0700; the database, its WAL and secret.key are 0600', () => {
    expect(mode(server.home)).toBe(0o700);
    for (const file of ['hangar.db', 'hangar.db-wal', 'secret.key', 'admin-credentials.json'])
      expect([file, mode(join(server.home, file))]).toEqual([file, 0o600]);
    for (const node of readdirSync(join(server.home, 'nodes')))
      expect(mode(join(server.home, 'nodes', node))).toBe(0o700);
  });

  it.runIf(asRoot)(
    'under a root agent the job runs as an unprivileged user that cannot read root files or the node session',
    async () => {
      const secretDir = tempDir('hangar-root-only-');
      chmodSync(secretDir, 0o755);
      const secret = join(secretDir, 'secret.txt');
      writeFileSync(secret, `root-only-${marker}`, { mode: 0o600 });
      const nodeDir = join(server.home, 'nodes', readdirSync(join(server.home, 'nodes'))[0] ?? '');
      expect(existsSync(join(nodeDir, 'session.json'))).toBe(true);
      const command = `echo "uid=$(id -u) user=$(id -un) owner=$(stat -c %U .)"; cat ${join(nodeDir, 'session.json')}; echo "session=$?"; cat ${secret}; echo "secret=$?"; echo made > outputs/by-job.txt`;
      const { job, log } = await runJob(server, 'as-job-user', command);
      expect(job.status, log).toBe('Completed');
      const uid = Number(/uid=(\d+)/.exec(log)?.[1]);
      expect(uid).not.toBe(0);
      expect(log).toMatch(/user=(hangar-job|nobody) owner=(hangar-job|nobody)/);
      expect(log).toMatch(/session=[1-9]/);
      expect(log).toMatch(/secret=[1-9]/);
      expect(log).not.toContain('sessionToken');
      expect(log).not.toContain(`root-only-${marker}`);
      // What the job user wrote is still the agent's to upload.
      const out = tempDir();
      const dl = await runCli(['job', 'download', '-n', 'as-job-user', '--download-path', out], {
        url: server.url,
      });
      expect(dl.code, dl.stderr).toBe(0);
      expect(readFileSync(join(out, 'as-job-user', 'outputs', 'by-job.txt'), 'utf8')).toBe('made\n');
    },
  );

  it('SIGTERM reaches the job through the sandbox (its handler runs), and SIGKILL follows the grace period', async () => {
    const tag = randomUUID();
    const yml = jobFolder({
      command:
        "trap 'echo got-term; sleep 0.5; echo handler-done; exit 0' TERM; echo ready; sleep 300 & wait",
      compute: 'sbx',
      environment_variables: { HANGAR_TEST_PROBE: tag },
    });
    expect((await runCli(['job', 'create', '-f', yml, '--name', 'graceful'], { url: server.url })).code).toBe(
      0,
    );
    await waitForJob(server.url, 'graceful', (j) => j.properties.status === 'Running', 'to run', 30_000);
    await waitFor(
      async () =>
        (
          await (await serverFetch(`${server.url}/api/workspaces/default/jobs/graceful/logs`)).text()
        ).includes('ready'),
      'the job to be ready',
      20_000,
    );
    expect(processesWithEnv('HANGAR_TEST_PROBE', tag).length).toBeGreaterThan(0);
    expect((await runCli(['job', 'cancel', '-n', 'graceful'], { url: server.url })).code).toBe(0);
    expect((await waitForEnd(server.url, 'graceful')).properties.status).toBe('Canceled');
    const log = await (await serverFetch(`${server.url}/api/workspaces/default/jobs/graceful/logs`)).text();
    expect(log).toContain('got-term');
    expect(log).toContain('handler-done');
    await waitFor(
      () => processesWithEnv('HANGAR_TEST_PROBE', tag).length === 0,
      'the job processes to be gone',
      10_000,
    );

    // A job that ignores SIGTERM is killed once the grace period (2 s) is over.
    const stubborn = randomUUID();
    const yml2 = jobFolder({
      command: "trap '' TERM; echo ready; sleep 300 & wait",
      compute: 'sbx',
      environment_variables: { HANGAR_TEST_PROBE: stubborn },
    });
    expect(
      (await runCli(['job', 'create', '-f', yml2, '--name', 'stubborn'], { url: server.url })).code,
    ).toBe(0);
    await waitFor(
      async () =>
        (
          await (await serverFetch(`${server.url}/api/workspaces/default/jobs/stubborn/logs`)).text()
        ).includes('ready'),
      'the job to be ready',
      30_000,
    );
    const canceledAt = Date.now();
    expect((await runCli(['job', 'cancel', '-n', 'stubborn'], { url: server.url })).code).toBe(0);
    expect((await waitForEnd(server.url, 'stubborn')).properties.status).toBe('Canceled');
    await waitFor(
      () => processesWithEnv('HANGAR_TEST_PROBE', stubborn).length === 0,
      'the stubborn job to be killed',
      10_000,
    );
    expect(Date.now() - canceledAt).toBeGreaterThanOrEqual(1500);
  });

  it("an environment build runs sandboxed too: a job's requirements cannot make pip read the server's files", async () => {
    const secretKey = readFileSync(join(server.home, 'secret.key'), 'utf8').trim();
    const dir = tempDir();
    writeFileSync(
      join(dir, 'conda.yml'),
      `name: sneaky\ndependencies:\n  - pip:\n    - -r ${join(server.home, 'secret.key')}\n`,
    );
    const { job } = await runJob(server, 'pip-reads-home', 'echo never', {
      environment: { conda_file: join(dir, 'conda.yml') },
    });
    expect(job.status).toBe('Failed');
    expect(job.error.message).toContain('pip install failed');
    const systemLog = await (
      await serverFetch(
        `${server.url}/api/workspaces/default/jobs/pip-reads-home/logs?file=system_logs/agent.txt`,
      )
    ).text();
    expect(`${job.error.message}\n${systemLog}`).not.toContain(secretKey);
    expect(job.error.message).toMatch(/No such file|Could not open/);
  });

  it('a job whose outputs cannot be stored fails with that reason, not a bare exit code', async () => {
    const { job, log } = await runJob(
      server,
      'outputs-too-big',
      'head -c 20000 /dev/urandom > outputs/big.bin; echo wrote',
    );
    expect(log).toContain('wrote');
    expect(job.status).toBe('Failed');
    expect(job.exitCode).toBe(0);
    expect(job.error.message).toContain('outputs could not be stored');
    expect(job.error.message).toContain('SnapshotTooLarge');
  });
});

describe('a node without bubblewrap', () => {
  /** A PATH with every program of this machine but bwrap. */
  function pathWithoutBwrap(): string {
    const bin = tempDir('hangar-nobwrap-');
    for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin']) {
      if (!existsSync(dir)) continue;
      for (const name of readdirSync(dir))
        if (name !== 'bwrap' && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
    }
    return bin;
  }

  it('refuses jobs saying what is missing and how to install it (the node shows it); with jobs.insecureNoSandbox they run', async () => {
    const path = pathWithoutBwrap();
    const config = { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } };
    const refusing = await startServerProcess({ env: { PATH: path }, config });
    try {
      await createCluster(refusing.url, 'sbx', 1, 1);
      const { job } = await runJob(refusing, 'refused', 'echo should-not-run');
      expect(job.status).toBe('Failed');
      expect(job.error.message).toContain('bubblewrap');
      expect(job.error.message).toContain('apt-get install bubblewrap');
      expect(job.error.message).toContain('insecureNoSandbox');
      // The node view says why the node refuses jobs.
      const nodes = (await api(refusing.url, 'GET', '/api/workspaces/default/computes/sbx/nodes')).body.value;
      expect(nodes).toEqual([
        expect.objectContaining({
          sandbox: 'none',
          sandboxProblem: expect.stringContaining('apt-get install bubblewrap'),
        }),
      ]);
      const nodeDirs = join(refusing.home, 'nodes');
      expect(
        readdirSync(nodeDirs).some((n) =>
          readFileSync(join(nodeDirs, n, 'agent.log'), 'utf8').includes('apt-get install bubblewrap'),
        ),
      ).toBe(true);
    } finally {
      await refusing.stop();
    }
    const insecure = await startServerProcess({
      env: { PATH: path },
      config: { ...config, jobs: { ...config.jobs, insecureNoSandbox: true } },
    });
    try {
      await createCluster(insecure.url, 'sbx', 1, 1);
      const { job, log } = await runJob(insecure, 'unsandboxed', 'echo ran-anyway');
      expect(job.status, log).toBe('Completed');
      expect(log).toContain('ran-anyway');
      expect(
        (await api(insecure.url, 'GET', '/api/workspaces/default/computes/sbx/nodes')).body.value,
      ).toEqual([expect.objectContaining({ sandbox: 'none' })]);
    } finally {
      await insecure.stop();
    }
  }, 120_000);
});
