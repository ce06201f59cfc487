import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder, stringify, waitForEnd, waitForJob } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
let home: string;
const config = { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 2 } };
const cli = (...args: string[]) => runCli(args, { url: server.url });
const ws = '/api/workspaces/default';

// A trial: logs `acc` = x at each of n intervals (pausing between), then writes x to its model output.
const trialScript = `import os, sys, time
import hangar_log
x, n, pause, out = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
for i in range(n):
    hangar_log.log_metric("acc", x, step=i)
    time.sleep(pause)
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "x.txt"), "w") as f:
    f.write(str(x))
`;

/** A sweep over x ∈ [0, 1] maximizing `acc` on the cluster `cpu`; `overrides` replaces whole fields. */
const sweepSpec = (overrides: Record<string, unknown>): Record<string, unknown> => ({
  type: 'sweep',
  compute: 'cpu',
  sampling_algorithm: 'random',
  search_space: { x: { type: 'uniform', min_value: 0, max_value: 1 } },
  objective: { primary_metric: 'acc', goal: 'maximize' },
  ...overrides,
});

const putSweep = (name: string, overrides: Record<string, unknown>) =>
  api(server.url, 'PUT', `${ws}/jobs/${name}`, { spec: sweepSpec(overrides) });

/** The node count of a cluster now. */
const nodesOf = async (compute: string): Promise<number> =>
  (await api(server.url, 'GET', `${ws}/computes/${compute}`)).body.properties.properties.currentNodeCount;

const children = async (name: string): Promise<any[]> =>
  (await api(server.url, 'GET', `${ws}/jobs?parentJobName=${name}`)).body.value;

beforeAll(async () => {
  home = tempDir('hangar-home-');
  server = await startServerProcess({ home, config });
  // Low priority, so a trial's node can be preempted (compute preempt-node) to show a trial resume.
  const made = await api(server.url, 'PUT', `${ws}/computes/cpu`, {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize: 'STANDARD_D2_V2',
        vmPriority: 'LowPriority',
        scaleSettings: { minNodeCount: 3, maxNodeCount: 3, nodeIdleTimeBeforeScaleDown: 'PT600S' },
      },
    },
  });
  expect(made.status).toBeLessThan(300);
  // An autoscaling cluster for the 12-trial sweep: from 0 nodes up to 3, back after 5 s idle.
  const auto = await api(server.url, 'PUT', `${ws}/computes/auto`, {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize: 'STANDARD_D2_V2',
        scaleSettings: { minNodeCount: 0, maxNodeCount: 3, nodeIdleTimeBeforeScaleDown: 'PT5S' },
      },
    },
  });
  expect(auto.status).toBeLessThan(300);
  await waitFor(
    async () =>
      (await api(server.url, 'GET', `${ws}/computes/cpu`)).body.properties.provisioningState === 'Succeeded',
    'the cluster',
  );
}, 120_000);

afterAll(async () => {
  for (const c of ['cpu', 'auto']) await api(server.url, 'DELETE', `${ws}/computes/${c}`);
  for (const c of ['cpu', 'auto'])
    await waitFor(
      async () => (await api(server.url, 'GET', `${ws}/computes/${c}`)).status === 404,
      `the cluster ${c} to go`,
      30_000,
    );
  await server.stop();
});

describe('sweep jobs (real server, real agents, real Python trials)', () => {
  it('a random sweep of 12 trials, 3 at once, on a 0..3 cluster: exact count, the best shown, the cluster scaled and back', async () => {
    expect(await nodesOf('auto')).toBe(0);
    const yml = jobFolder(
      sweepSpec({
        compute: 'azureml:auto',
        sampling_algorithm: { type: 'random', seed: 7 },
        trial: { code: './src', command: 'python trial.py ${{search_space.x}} 1 0 ${{outputs.model}}' },
        outputs: { model: null },
        limits: { max_total_trials: 12, max_concurrent_trials: 3 },
      }),
      { 'trial.py': trialScript },
    );
    // The CLI's sweep YAML has code under trial: (jobFolder put a top-level one; remove it).
    writeFileSync(yml, readFileSync(yml, 'utf8').replace(/^code: \.\/src\n/m, ''));
    const r = await cli('job', 'create', '-f', yml, '--name', 'rnd');
    expect(r.stderr).toContain('Submitted rnd');
    expect(r.code).toBe(0);
    // Node counts seen while it runs (a sample; the cluster's events below are the full record).
    const counts = new Set<number>();
    const done = await waitFor(
      async () => {
        counts.add(await nodesOf('auto'));
        const j = (await api(server.url, 'GET', `${ws}/jobs/rnd`)).body;
        return ['Completed', 'Failed', 'Canceled'].includes(j.properties.status) ? j : undefined;
      },
      'sweep rnd to end',
      120_000,
      100,
    );
    expect(done.properties.status).toBe('Completed');
    expect(done.properties.jobType).toBe('Sweep');
    const trials = await children('rnd');
    const names = Array.from({ length: 12 }, (_, i) => `rnd_trial${i}`);
    expect(trials.map((t) => t.name).sort()).toEqual(names.sort());
    expect(trials.every((t) => t.properties.status === 'Completed')).toBe(true);
    // Never more than three trials at once: no instant is inside four trials' run times.
    const spans = trials.map((t) => ({
      start: Date.parse(t.properties.startTime),
      end: Date.parse(t.properties.endTime),
    }));
    for (const { start } of spans)
      expect(spans.filter((o) => o.start <= start && start < o.end).length).toBeLessThanOrEqual(3);
    // The cluster scaled up from 0, never past its max of 3, and back to 0 after its idle time.
    expect(Math.max(...counts)).toBeGreaterThan(0);
    expect(Math.max(...counts)).toBeLessThanOrEqual(3);
    const events = (await api(server.url, 'GET', `${ws}/computes/auto/events?$top=200`)).body.value as any[];
    const targets = events
      .filter((e) => e.reason === 'NodeProvisioned')
      .map((e) => Number(/target (\d+) = clamp\(min 0, max 3,/.exec(e.message)?.[1]));
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.every((t) => t >= 1 && t <= 3)).toBe(true);
    await waitFor(async () => (await nodesOf('auto')) === 0, 'the cluster back to 0 nodes', 60_000);
    // The best trial: the largest x, its metric and parameters, as Azure's best_child_run_id.
    const xs = await Promise.all(
      trials.map(async (t) => ({
        name: t.name,
        x: Number((await api(server.url, 'GET', `${ws}/jobs/${t.name}/metrics`)).body.params.x),
      })),
    );
    const best = xs.reduce((a, b) => (b.x > a.x ? b : a));
    const sweep = done.properties.sweep;
    expect(sweep.bestTrial).toMatchObject({ name: best.name, parameters: { x: expect.any(Number) } });
    expect(sweep.bestTrial.metric).toBeCloseTo(best.x);
    expect(done.properties.properties.best_child_run_id).toBe(best.name);
    const listed = await cli('job', 'list', '--parent-job-name', 'rnd', '-o', 'json');
    expect(JSON.parse(listed.stdout)).toHaveLength(12);
    const shown = await cli('job', 'show', '-n', 'rnd', '-o', 'json');
    expect(JSON.parse(shown.stdout).sweep.best_trial.name).toBe(best.name);
    // job download --output-name fetches the best trial's output.
    const out = tempDir();
    const dl = await cli('job', 'download', '-n', 'rnd', '--output-name', 'model', '--download-path', out);
    expect(dl.code).toBe(0);
    expect(Number(readFileSync(join(out, 'rnd', 'outputs', 'model', 'x.txt'), 'utf8'))).toBeCloseTo(best.x);
  }, 180_000);

  it('a grid sweep runs each grid point once, whatever max_total_trials allows', async () => {
    const r = await putSweep('grid', {
      sampling_algorithm: 'grid',
      search_space: { x: { type: 'choice', values: [0.2, 0.4, 0.6] } },
      objective: { primary_metric: 'acc', goal: 'minimize' },
      trial: {
        command: 'python3 -c "import hangar_log; hangar_log.log_metric(\'acc\', ${{search_space.x}})"',
      },
      limits: { max_total_trials: 10, max_concurrent_trials: 3 },
    });
    expect(r.status).toBeLessThan(300);
    const done = await waitForEnd(server.url, 'grid', 120_000);
    expect(done.properties.status).toBe('Completed');
    const trials = await children('grid');
    expect(trials).toHaveLength(3);
    expect(done.properties.sweep.trials.map((t: any) => t.parameters.x).sort()).toEqual([0.2, 0.4, 0.6]);
    expect(done.properties.sweep.bestTrial.parameters).toEqual({ x: 0.2 });
    expect(done.properties.statusReason).toContain('every one of the 3 grid points has a trial');
  }, 180_000);

  it('a bayesian sweep with bandit termination keeps its budget exact', async () => {
    const r = await putSweep('bayes', {
      sampling_algorithm: 'bayesian',
      search_space: {
        x: { type: 'uniform', min_value: 0, max_value: 1 },
        k: { type: 'choice', values: [1, 2] },
      },
      early_termination: { type: 'bandit', slack_amount: 0.5 },
      trial: {
        command:
          'python3 -c "import hangar_log; [hangar_log.log_metric(\'acc\', ${{search_space.x}} * ${{search_space.k}}, step=i) for i in range(3)]"',
      },
      limits: { max_total_trials: 6, max_concurrent_trials: 2 },
    });
    expect(r.status).toBeLessThan(300);
    const done = await waitForEnd(server.url, 'bayes', 120_000);
    expect(done.properties.status).toBe('Completed');
    expect(await children('bayes')).toHaveLength(6);
    expect(done.properties.sweep.bestTrial.metric).toBeGreaterThan(0);
  }, 180_000);

  it('bandit early termination cancels the trial outside the slack, with its numbers', async () => {
    const r = await putSweep('bandit', {
      sampling_algorithm: 'grid',
      // A nested choice: each branch sets the metric and how slowly it is logged.
      search_space: {
        arm: {
          type: 'choice',
          values: [
            { x: 0.8, pause: 0.1 },
            { x: 0.61, pause: 0.5 },
          ],
        },
      },
      early_termination: { type: 'bandit', slack_factor: 0.2, evaluation_interval: 1, delay_evaluation: 2 },
      trial: {
        command: `python3 -c "
import sys, time, hangar_log
for i in range(20):
    hangar_log.log_metric('acc', \${{search_space.x}}, step=i); time.sleep(\${{search_space.pause}})"`,
      },
      limits: { max_total_trials: 2, max_concurrent_trials: 2 },
    });
    expect(r.status).toBeLessThan(300);
    const done = await waitForEnd(server.url, 'bandit', 120_000);
    expect(done.properties.status).toBe('Completed');
    const trials = done.properties.sweep.trials as any[];
    const slow = trials.find((t) => t.parameters.x === 0.61);
    const fast = trials.find((t) => t.parameters.x === 0.8);
    expect(slow.earlyTerminated).toMatch(/^best 0.61 < 0.8\/1.2 = 0.667 at interval \d+/);
    expect(slow.status).toBe('Canceled');
    expect(fast.status).toBe('Completed');
    const trialJob = (await api(server.url, 'GET', `${ws}/jobs/${slow.name}`)).body;
    expect(trialJob.properties.status).toBe('Canceled');
    expect(trialJob.properties.statusReason).toMatch(
      /early-termination policy: best 0.61 < 0.8\/1.2 = 0.667/,
    );
    const events = (await api(server.url, 'GET', `${ws}/jobs/${slow.name}/events`)).body.value as any[];
    expect(events).toContainEqual(
      expect.objectContaining({ reason: 'EarlyTerminated', message: expect.stringMatching(/0\.667/) }),
    );
  }, 180_000);

  it('flags a trial whose primary metric never appears, naming what it logged (job create --stream)', async () => {
    const yml = join(tempDir(), 'sweep.yml');
    writeFileSync(
      yml,
      stringify(
        sweepSpec({
          compute: 'azureml:cpu',
          sampling_algorithm: 'grid',
          search_space: { x: { type: 'choice', values: [1] } },
          objective: { primary_metric: 'accuracy', goal: 'maximize' },
          trial: {
            command: 'python3 -c "import hangar_log; hangar_log.log_metric(\'acc\', ${{search_space.x}})"',
          },
        }),
      ),
    );
    const r = await cli('job', 'create', '-f', yml, '--name', 'nometric', '--stream');
    expect(r.stderr).toContain('[nometric] Completed');
    expect(r.code).toBe(0);
    const done = (await api(server.url, 'GET', `${ws}/jobs/nometric`)).body;
    expect(done.properties.sweep.trials[0].flagged).toContain(
      "primary metric 'accuracy' was never logged; it logged: acc",
    );
  }, 120_000);

  it('refuses a bad sweep naming the YAML field', async () => {
    const r = await putSweep('bad', {
      sampling_algorithm: 'grid',
      trial: { command: 'echo ${{search_space.x}}' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.target).toBe('search_space.x.type');
    const e = await putSweep('bad', { trial: { command: 'echo ${{inputs.missing}}' } });
    expect(e.status).toBe(400);
    expect(e.body.error.target).toBe('trial.command');
  });

  it('survives a server kill -9 mid-sweep: no trial lost, none duplicated, the count exact', async () => {
    const r = await putSweep('crash', {
      sampling_algorithm: { type: 'random', seed: 3 },
      trial: {
        command:
          'python3 -c "import time, hangar_log; hangar_log.log_metric(\'acc\', ${{search_space.x}}); time.sleep(1)"',
      },
      limits: { max_total_trials: 6, max_concurrent_trials: 2 },
    });
    expect(r.status).toBeLessThan(300);
    await waitForJob(
      server.url,
      'crash',
      (j) => (j.properties.sweep?.trialsLaunched ?? 0) >= 3,
      'to launch 3 trials',
      120_000,
    );
    const port = Number(new URL(server.url).port);
    await server.kill9();
    server = await startServerProcess({ home, port, config });
    const done = await waitForEnd(server.url, 'crash', 120_000);
    expect(done.properties.status).toBe('Completed');
    const trials = await children('crash');
    expect(trials.map((t) => t.name).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `crash_trial${i}`));
    expect(done.properties.sweep.trials).toHaveLength(6);
    // The top-level list holds the sweep, not its trials (they are listed under it, above).
    const top = (await api(server.url, 'GET', `${ws}/jobs?$top=100`)).body.value.map((j: any) => j.name);
    expect(top).toContain('crash');
    expect(top.filter((n: string) => n.startsWith('crash_'))).toEqual([]);
  }, 240_000);

  it('a preempted trial resumes from its checkpoint under the same trial job and is not counted twice', async () => {
    // Counts to 40 in its checkpoint folder; on SIGTERM (preemption) it stops, the next attempt resumes.
    // It replaces the checkpoint whole, as training code does: a SIGTERM between truncating the file
    // and writing it would leave an empty checkpoint for the next attempt.
    const script = [
      'import os, sys, time, hangar_log',
      'ckpt = os.path.join(os.environ["HANGAR_CHECKPOINT_DIR"], "step")',
      'start = int(open(ckpt).read()) if os.path.exists(ckpt) else 0',
      'print(f"attempt {os.environ[\'HANGAR_ATTEMPT\']} starts at step {start}", flush=True)',
      'for step in range(start, 40):',
      '    time.sleep(0.2)',
      '    open(ckpt + ".new", "w").write(str(step + 1))',
      '    os.replace(ckpt + ".new", ckpt)',
      '    hangar_log.log_metric("acc", float(sys.argv[1]), step=step)',
    ].join('\n');
    const dir = tempDir();
    writeFileSync(join(dir, 'train.py'), script);
    const yml = join(dir, 'sweep.yml');
    writeFileSync(
      yml,
      stringify(
        sweepSpec({
          compute: 'azureml:cpu',
          sampling_algorithm: 'grid',
          search_space: { x: { type: 'choice', values: [0.5, 0.6] } },
          trial: { code: '.', command: 'python train.py ${{search_space.x}}' },
          limits: { max_total_trials: 2, max_concurrent_trials: 1 },
        }),
      ),
    );
    expect((await cli('job', 'create', '-f', yml, '--name', 'resume')).code).toBe(0);
    const running = await waitForJob(
      server.url,
      'resume_trial0',
      (j) => j.properties.status === 'Running',
      'to run',
      60_000,
    );
    await waitFor(
      async () =>
        ((await api(server.url, 'GET', `${ws}/jobs/resume_trial0/metrics/acc/history`)).body.value ?? [])
          .length >= 4,
      'some progress',
      30_000,
    );
    const preempted = await cli(
      'compute',
      'preempt-node',
      '-n',
      'cpu',
      '--node-id',
      running.properties.attempts[0].nodeId,
    );
    expect(preempted.code).toBe(0);
    const done = await waitForEnd(server.url, 'resume', 120_000);
    expect(done.properties.status).toBe('Completed');
    expect((await children('resume')).map((t) => t.name).sort()).toEqual(['resume_trial0', 'resume_trial1']);
    const trial0 = (await api(server.url, 'GET', `${ws}/jobs/resume_trial0`)).body;
    // On failure, what each attempt did: the attempts as recorded and the last attempt's logs.
    const last = trial0.properties.attempts.length;
    const logs = async (name: string): Promise<string> =>
      (await serverFetch(`${server.url}${ws}/jobs/resume_trial0/logs?attempt=${last}&file=${name}`)).text();
    if (trial0.properties.status !== 'Completed')
      console.error(
        JSON.stringify(trial0.properties.attempts, null, 1),
        await logs('user_logs/std_log.txt'),
        await logs('system_logs/agent.txt'),
      );
    expect(trial0.properties.status).toBe('Completed');
    const [first, second] = trial0.properties.attempts;
    expect(first).toMatchObject({ attempt: 1, preempted: true });
    expect(second.attempt).toBe(2);
    const log = (await serverFetch(`${server.url}${ws}/jobs/resume_trial0/logs?attempt=2`)).text();
    expect(Number(/attempt 2 starts at step (\d+)/.exec(await log)?.[1])).toBeGreaterThanOrEqual(4);
  }, 180_000);

  it('canceling a sweep cancels its running trials', async () => {
    const r = await putSweep('cancelme', {
      trial: { command: 'sleep 60' },
      limits: { max_total_trials: 4, max_concurrent_trials: 2 },
    });
    expect(r.status).toBeLessThan(300);
    await waitFor(
      async () => (await children('cancelme')).filter((t) => t.properties.status === 'Running').length === 2,
      'two trials running',
      60_000,
    );
    expect((await cli('job', 'cancel', '-n', 'cancelme')).code).toBe(0);
    await waitFor(
      async () => (await children('cancelme')).every((t) => t.properties.status === 'Canceled'),
      'the trials to be canceled',
      60_000,
    );
    expect((await children('cancelme')).length).toBe(2);
  }, 120_000);
});
