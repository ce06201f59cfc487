import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, waitForEnd, waitForJob } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
let home: string;
const config = {
  reconcileIntervalMs: 200,
  jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 1 },
  environmentAliases: [{ match: 'azureml:shell-env@latest', python: '/usr/bin/python3' }],
};
const cli = (args: string[]) => runCli(args, { url: server.url });
const ws = '/api/workspaces/default';

/** Writes files (relative path → text) into a fresh folder; answers the folder. */
function folder(files: Record<string, string>): string {
  const dir = tempDir('hangar-pipeline-sweep-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The jobs under a parent, as `hangar job list --parent-job-name` prints them. */
async function childrenOf(parent: string): Promise<any[]> {
  const r = await cli(['job', 'list', '--parent-job-name', parent, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as any[];
}

async function shown(name: string): Promise<any> {
  const r = await cli(['job', 'show', '-n', name, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const stepOf = (job: any, step: string): any => job.pipeline.steps.find((s: any) => s.step === step);

// The trial component: reads the base the first step wrote, logs score = x, writes both to its model.
const fitComponent = (command: string) =>
  stringify({
    name: 'fit',
    type: 'command',
    code: './src',
    environment: 'azureml:shell-env@latest',
    command,
    inputs: { data: { type: 'uri_folder' }, x: { type: 'number' } },
    outputs: { model: { type: 'uri_folder' } },
  });
const fitScript = `import os, sys, hangar_log
data, x, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
base = open(os.path.join(data, "base.txt")).read().strip()
hangar_log.log_metric("score", x)
os.makedirs(out, exist_ok=True)
open(os.path.join(out, "model.txt"), "w").write(f"best-x={sys.argv[2]} base={base}\\n")
`;

/** train → tune (a sweep of the fit component) → report (reads the sweep's model output). */
function pipelineFolder(
  trialCommand: string,
  limits: Record<string, number> = { max_total_trials: 3, max_concurrent_trials: 2 },
): string {
  return folder({
    'components/fit.yml': fitComponent(trialCommand),
    'components/src/fit.py': fitScript,
    'pipeline.yml': stringify({
      $schema: 'https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json',
      type: 'pipeline',
      settings: { default_compute: 'azureml:cpu' },
      inputs: { base: 10 },
      outputs: { report: { type: 'uri_folder' } },
      jobs: {
        train: {
          command: 'echo ${{inputs.base}} > ${{outputs.data}}/base.txt',
          inputs: { base: '${{parent.inputs.base}}' },
          outputs: { data: null },
        },
        tune: {
          type: 'sweep',
          trial: './components/fit.yml',
          inputs: { data: '${{parent.jobs.train.outputs.data}}' },
          outputs: { model: { type: 'uri_folder', mode: 'upload' } },
          sampling_algorithm: { type: 'random', seed: 5 },
          search_space: { x: { type: 'uniform', min_value: 0, max_value: 1 } },
          objective: { goal: 'maximize', primary_metric: 'score' },
          limits,
        },
        report: {
          command: 'cat ${{inputs.model}}/model.txt; cp ${{inputs.model}}/model.txt ${{outputs.report}}/',
          inputs: { model: '${{parent.jobs.tune.outputs.model}}' },
          outputs: { report: '${{parent.outputs.report}}' },
        },
      },
    }),
  });
}

beforeAll(async () => {
  home = tempDir('hangar-home-');
  server = await startServerProcess({ home, config });
  await createCluster(server.url, 'cpu', 2, 2);
}, 120_000);

afterAll(async () => {
  await api(server.url, 'DELETE', `${ws}/computes/cpu`);
  await waitFor(
    async () => (await api(server.url, 'GET', `${ws}/computes/cpu`)).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('a sweep as a pipeline step (real server, agents, CLI)', () => {
  const fit = 'python3 fit.py ${{inputs.data}} ${{inputs.x}} ${{outputs.model}}';

  it("runs the sweep's trials under the step and passes the best trial's output to the next step", async () => {
    const dir = pipelineFolder(fit);
    const r = await cli(['job', 'create', '-f', join(dir, 'pipeline.yml'), '--name', 'ps1']);
    expect(r.code, r.stderr).toBe(0);
    const done = await waitForEnd(server.url, 'ps1', 120_000);
    expect(done.properties.status, JSON.stringify(done.properties)).toBe('Completed');

    // The pipeline's children are its steps; the sweep step's children are its trials.
    const steps = await childrenOf('ps1');
    expect(steps.map((s) => s.name).sort()).toEqual(['ps1_report', 'ps1_train', 'ps1_tune']);
    const tune = steps.find((s) => s.name === 'ps1_tune');
    expect(tune).toMatchObject({ type: 'sweep', status: 'Completed' });
    const trials = await childrenOf('ps1_tune');
    expect(trials.map((t) => t.name).sort()).toEqual([
      'ps1_tune_trial0',
      'ps1_tune_trial1',
      'ps1_tune_trial2',
    ]);
    expect(trials.every((t) => t.status === 'Completed')).toBe(true);
    const sweep = (await api(server.url, 'GET', `${ws}/jobs/ps1_tune`)).body.properties;
    expect(sweep.parentJobName).toBe('ps1');
    expect(sweep.jobType).toBe('Sweep');
    const trialJob = (await api(server.url, 'GET', `${ws}/jobs/ps1_tune_trial0`)).body.properties;
    expect(trialJob.parentJobName).toBe('ps1_tune');
    // The top-level list (job list, as az ml job list) holds the pipeline, not its steps or trials.
    const top = await cli(['job', 'list', '-o', 'json']);
    expect(top.code, top.stderr).toBe(0);
    const topNames = (JSON.parse(top.stdout) as any[]).map((j) => j.name as string);
    expect(topNames).toContain('ps1');
    expect(topNames.filter((n) => n.startsWith('ps1_'))).toEqual([]);
    const rest = (await api(server.url, 'GET', `${ws}/jobs?$top=1`)).body;
    expect(rest.value.map((j: any) => j.name)).toEqual(['ps1']);

    // The best trial (largest x, the sampled value of the component's input) is the sweep's.
    const xs = await Promise.all(
      trials.map(async (t) => ({
        name: t.name as string,
        x: Number((await api(server.url, 'GET', `${ws}/jobs/${t.name}/metrics`)).body.params.x),
      })),
    );
    expect(new Set(xs.map((t) => t.x)).size).toBe(3);
    const best = xs.reduce((a, b) => (b.x > a.x ? b : a));
    expect(sweep.sweep.bestTrial.name).toBe(best.name);

    // Its output reached the last step: the report prints the best trial's x and the first step's base.
    const log = await cli(['job', 'stream', '-n', 'ps1_report']);
    const printed = /best-x=(\S+) base=(\d+)/.exec(log.stdout);
    expect(printed, log.stdout).not.toBeNull();
    expect(Number(printed?.[1])).toBeCloseTo(best.x, 10);
    expect(printed?.[2]).toBe('10');

    const show = await shown('ps1');
    expect(show.pipeline.steps.map((s: any) => [s.step, s.type, s.phase])).toEqual([
      ['train', 'command', 'Completed'],
      ['tune', 'sweep', 'Completed'],
      ['report', 'command', 'Completed'],
    ]);
    expect(stepOf(show, 'tune').component).toBe('component file (fit)');

    // Run again: the train step is reused, the sweep step never is (its trials sample anew).
    const again = await cli(['job', 'create', '-f', join(dir, 'pipeline.yml'), '--name', 'ps2']);
    expect(again.code, again.stderr).toBe(0);
    expect((await waitForEnd(server.url, 'ps2', 120_000)).properties.status).toBe('Completed');
    const second = await shown('ps2');
    expect(stepOf(second, 'train')).toMatchObject({ reused_from: 'ps1_train' });
    expect(stepOf(second, 'tune').reused_from).toBeUndefined();
    expect(stepOf(second, 'tune').reuse).toBe(
      'not reused: a sweep step always runs (its trials sample anew), and is never reused',
    );
    expect(await childrenOf('ps2_tune')).toHaveLength(3);
  }, 240_000);

  it('a sweep step whose trials all fail fails the pipeline and skips the step after it', async () => {
    const dir = pipelineFolder('python3 -c "import sys; sys.exit(4)" ${{inputs.data}} ${{inputs.x}}');
    const r = await cli(['job', 'create', '-f', join(dir, 'pipeline.yml'), '--name', 'psfail']);
    expect(r.code, r.stderr).toBe(0);
    const done = await waitForEnd(server.url, 'psfail', 120_000);
    expect(done.properties.status).toBe('Failed');
    expect(done.properties.error.message).toContain('step tune failed');
    const trials = await childrenOf('psfail_tune');
    expect(trials).toHaveLength(3);
    expect(trials.every((t) => t.status === 'Failed')).toBe(true);
    const show = await shown('psfail');
    expect(stepOf(show, 'tune').phase).toBe('Failed');
    expect(stepOf(show, 'report').phase).toBe('Skipped');
    expect((await api(server.url, 'GET', `${ws}/jobs/psfail_report`)).status).toBe(404);
  }, 180_000);

  it('cancel of the pipeline cancels the sweep step and its running trials', async () => {
    const dir = pipelineFolder('sleep 60 # ${{inputs.data}} ${{inputs.x}}');
    const r = await cli(['job', 'create', '-f', join(dir, 'pipeline.yml'), '--name', 'pscancel']);
    expect(r.code, r.stderr).toBe(0);
    await waitFor(
      async () => {
        const trials = await api(server.url, 'GET', `${ws}/jobs?parentJobName=pscancel_tune`);
        return (trials.body.value ?? []).filter((t: any) => t.properties.status === 'Running').length === 2;
      },
      'two trials running',
      60_000,
    );
    expect((await cli(['job', 'cancel', '-n', 'pscancel'])).code).toBe(0);
    expect((await waitForEnd(server.url, 'pscancel')).properties.status).toBe('Canceled');
    expect((await waitForEnd(server.url, 'pscancel_tune')).properties.status).toBe('Canceled');
    for (const t of ['pscancel_tune_trial0', 'pscancel_tune_trial1'])
      expect((await waitForEnd(server.url, t)).properties.status).toBe('Canceled');
    // The budget allowed a third trial; a canceled sweep creates none.
    expect(await childrenOf('pscancel_tune')).toHaveLength(2);
  }, 120_000);

  it('survives a server kill -9 while the sweep step runs: no trial lost or duplicated, the pipeline completes', async () => {
    const dir = pipelineFolder(`sleep 1; ${fit}`, { max_total_trials: 6, max_concurrent_trials: 2 });
    const r = await cli(['job', 'create', '-f', join(dir, 'pipeline.yml'), '--name', 'pscrash']);
    expect(r.code, r.stderr).toBe(0);
    await waitForJob(
      server.url,
      'pscrash_tune',
      (j) => (j.properties.sweep?.trialsLaunched ?? 0) >= 3,
      'to launch 3 trials',
      120_000,
    );
    const port = Number(new URL(server.url).port);
    await server.kill9();
    server = await startServerProcess({ home, port, config });
    const done = await waitForEnd(server.url, 'pscrash', 180_000);
    expect(done.properties.status, JSON.stringify(done.properties)).toBe('Completed');
    const trials = await childrenOf('pscrash_tune');
    expect(trials.map((t) => t.name).sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `pscrash_tune_trial${i}`));
    expect(
      trials.map((t) => t.status),
      JSON.stringify(trials),
    ).toEqual(Array(6).fill('Completed'));
    const sweep = (await api(server.url, 'GET', `${ws}/jobs/pscrash_tune`)).body.properties;
    expect(sweep.sweep.trials).toHaveLength(6);
    expect(sweep.sweep.trialsLaunched).toBe(6);
    // One job per step: the restart created no second sweep or step.
    expect((await childrenOf('pscrash')).map((s) => s.name).sort()).toEqual([
      'pscrash_report',
      'pscrash_train',
      'pscrash_tune',
    ]);
    const log = await cli(['job', 'stream', '-n', 'pscrash_report']);
    expect(Number(/best-x=(\S+)/.exec(log.stdout)?.[1])).toBeCloseTo(sweep.sweep.bestTrial.parameters.x, 10);
  }, 300_000);

  it('refuses a search space that names no input of the trial component, naming the field and value', async () => {
    const component = {
      name: 'fit',
      command: 'echo ${{inputs.x}}',
      environment: 'azureml:shell-env@latest',
      inputs: { x: { type: 'number' } },
    };
    const sweepStep = (extra: Record<string, unknown>) => ({
      spec: {
        type: 'pipeline',
        compute: 'azureml:cpu',
        jobs: {
          tune: {
            type: 'sweep',
            trial: component,
            sampling_algorithm: 'grid',
            search_space: { x: { type: 'choice', values: [1, 2] } },
            objective: { goal: 'maximize', primary_metric: 'score' },
            ...extra,
          },
        },
      },
    });
    const unknown = await api(
      server.url,
      'PUT',
      `${ws}/jobs/badsweep`,
      sweepStep({ search_space: { lr: { type: 'choice', values: [1] } } }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.target).toBe('jobs.tune.search_space.lr');
    expect(unknown.body.error.message).toContain("has no input 'lr'");
    const badAlgo = await api(
      server.url,
      'PUT',
      `${ws}/jobs/badsweep`,
      sweepStep({ search_space: { x: { type: 'uniform', min_value: 0, max_value: 1 } } }),
    );
    expect(badAlgo.status).toBe(400);
    expect(badAlgo.body.error.target).toBe('jobs.tune.search_space.x.type');
    expect(badAlgo.body.error.message).toContain('grid sampling takes choice only; got uniform');
    expect((await api(server.url, 'GET', `${ws}/jobs/badsweep`)).status).toBe(404);
  });
});
