import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, waitForEnd, waitForJob } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });

/** Writes files (relative path → text) into a fresh folder; answers the folder. */
function folder(files: Record<string, string>): string {
  const dir = tempDir('hangar-pipeline-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function submit(file: string, name: string): Promise<any> {
  const r = await cli(['job', 'create', '-f', file, '--name', name]);
  expect(r.code, r.stderr).toBe(0);
  return waitForEnd(server.url, name, 120_000);
}

async function shown(name: string): Promise<any> {
  const r = await cli(['job', 'show', '-n', name, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const stepOf = (job: any, step: string): any => job.pipeline.steps.find((s: any) => s.step === step);

beforeAll(async () => {
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 1 },
      // The component's environment: the node's own Python (no venv to build).
      environmentAliases: [{ match: 'azureml:shell-env@latest', python: '/usr/bin/python3' }],
    },
  });
  // Two nodes: independent steps run side by side.
  await createCluster(server.url, 'cpu', 2, 2);
}, 120_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/cpu');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/cpu')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('pipeline jobs (real server, agents, CLI)', () => {
  // A data input uploaded from a local folder, a component read from a file, outputs passed on.
  const dir = folder({
    'data/a.txt': 'raw data\n',
    'components/train.yml': stringify({
      name: 'train',
      type: 'command',
      code: './src',
      environment: 'azureml:shell-env@latest',
      command: 'bash train.sh ${{inputs.data}} ${{outputs.model}} ${{inputs.lr}}',
      inputs: { data: { type: 'uri_folder' }, lr: { type: 'number', default: 0.1 } },
      outputs: { model: { type: 'uri_folder' } },
    }),
    'components/src/train.sh':
      'echo training; cat "$1/clean.txt" > "$2/model.txt"; echo "lr=$3" >> "$2/model.txt"\n',
    'score/score.sh': 'cat "$1/model.txt"; echo scored-v1 > "$2/report.txt"\n',
    'pipeline.yml': stringify({
      $schema: 'https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json',
      type: 'pipeline',
      experiment_name: 'pipes',
      settings: { default_compute: 'azureml:cpu' },
      inputs: { raw: { type: 'uri_folder', path: './data' }, lr: 0.5 },
      outputs: { report: { type: 'uri_folder' } },
      jobs: {
        prep: {
          command: 'tr a-z A-Z < ${{inputs.raw}}/a.txt > ${{outputs.clean}}/clean.txt',
          inputs: { raw: '${{parent.inputs.raw}}' },
          outputs: { clean: null },
        },
        train: {
          component: './components/train.yml',
          inputs: { data: '${{parent.jobs.prep.outputs.clean}}', lr: '${{parent.inputs.lr}}' },
        },
        score: {
          code: './score',
          command: 'bash score.sh ${{inputs.model}} ${{outputs.report}}',
          inputs: { model: '${{parent.jobs.train.outputs.model}}' },
          outputs: { report: '${{parent.outputs.report}}' },
        },
      },
    }),
  });

  it('runs three steps in order, passing outputs; a rerun reuses two and explains the third', async () => {
    const first = await submit(join(dir, 'pipeline.yml'), 'pipe1');
    expect(first.properties.status, JSON.stringify(first.properties)).toBe('Completed');
    expect(first.properties.jobType).toBe('Pipeline');

    const children = await cli(['job', 'list', '--parent-job-name', 'pipe1', '-o', 'json']);
    expect(children.code, children.stderr).toBe(0);
    const steps = JSON.parse(children.stdout) as any[];
    expect(steps.map((s) => s.name).sort()).toEqual(['pipe1_prep', 'pipe1_score', 'pipe1_train']);
    expect(steps.every((s) => s.status === 'Completed')).toBe(true);

    // Steps are listed under their pipeline, not among the top-level jobs.
    const listed = JSON.parse((await cli(['job', 'list', '-o', 'json'])).stdout) as any[];
    expect(listed.map((j) => j.name)).toContain('pipe1');
    expect(listed.map((j) => j.name)).not.toContain('pipe1_prep');
    // A pipeline output downloads from the step that wrote it.
    const into = tempDir('hangar-pipeline-dl-');
    const dl = await cli([
      'job',
      'download',
      '-n',
      'pipe1',
      '--output-name',
      'report',
      '--download-path',
      into,
    ]);
    expect(dl.code, dl.stderr).toBe(0);
    expect(readFileSync(join(into, 'pipe1_score', 'outputs', 'report', 'report.txt'), 'utf8')).toBe(
      'scored-v1\n',
    );

    const log = await cli(['job', 'stream', '-n', 'pipe1_score']);
    expect(log.stdout).toContain('RAW DATA');
    expect(log.stdout).toContain('lr=0.5');

    const show = await shown('pipe1');
    expect(show.pipeline.steps.map((s: any) => [s.step, s.phase])).toEqual([
      ['prep', 'Completed'],
      ['train', 'Completed'],
      ['score', 'Completed'],
    ]);
    expect(stepOf(show, 'train').component).toBe('component file (train)');
    expect(stepOf(show, 'prep').reuse).toContain('not reused');
    expect(show.pipeline.outputs.report).toBe('azureml://jobs/pipe1_score/outputs/report');

    // The same pipeline with score's code changed: prep and train reuse pipe1's, score runs again.
    writeFileSync(join(dir, 'score/score.sh'), 'cat "$1/model.txt"; echo scored-v2 > "$2/report.txt"\n');
    const second = await submit(join(dir, 'pipeline.yml'), 'pipe2');
    expect(second.properties.status, JSON.stringify(second.properties)).toBe('Completed');
    const again = await shown('pipe2');
    expect(stepOf(again, 'prep')).toMatchObject({ reused_from: 'pipe1_prep' });
    expect(stepOf(again, 'train')).toMatchObject({ reused_from: 'pipe1_train' });
    expect(stepOf(again, 'prep').reuse).toContain('reused from pipe1_prep');
    const score = stepOf(again, 'score');
    expect(score.reused_from).toBeUndefined();
    expect(score.reuse).toMatch(
      /^not reused: against the closest earlier run pipe1_score, code \(\w+ → \w+\) differs$/,
    );
    const scoreJob = await shown('pipe2_score');
    expect(scoreJob.attempts).toHaveLength(1);
    expect((await shown('pipe2_train')).attempts ?? []).toHaveLength(0);
    // A reused step shows the log of the run it reused.
    expect((await cli(['job', 'stream', '-n', 'pipe2_train'])).stdout).toContain('training');
    const log2 = await cli(['job', 'stream', '-n', 'pipe2_score']);
    expect(log2.stdout).toContain('RAW DATA');

    // force_rerun: nothing is reused, and each step says why.
    const forced = await cli([
      'job',
      'create',
      '-f',
      join(dir, 'pipeline.yml'),
      '--name',
      'pipe3',
      '--set',
      'settings.force_rerun=true',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect((await waitForEnd(server.url, 'pipe3', 120_000)).properties.status).toBe('Completed');
    const third = await shown('pipe3');
    for (const step of ['prep', 'train', 'score'])
      expect(stepOf(third, step).reuse).toBe('not reused: settings.force_rerun is true');
    expect((await shown('pipe3_train')).attempts).toHaveLength(1);
  }, 240_000);

  const failing = (continueOnFailure: boolean) =>
    join(
      folder({
        'pipeline.yml': stringify({
          type: 'pipeline',
          settings: { default_compute: 'azureml:cpu', continue_on_step_failure: continueOnFailure },
          jobs: {
            bad: { command: 'echo broken; exit 3', outputs: { o: null } },
            after: { command: 'ls ${{inputs.i}}', inputs: { i: '${{parent.jobs.bad.outputs.o}}' } },
            // Independent of `bad`: canceled when the pipeline stops, completed when it continues.
            other: { command: continueOnFailure ? 'sleep 1; echo other-done' : 'sleep 60' },
          },
        }),
      }),
      'pipeline.yml',
    );

  it('a failed step stops the pipeline; with continue_on_step_failure the other branch completes', async () => {
    const stopped = await submit(failing(false), 'stops');
    expect(stopped.properties.status).toBe('Failed');
    expect(stopped.properties.error.message).toContain('step bad failed');
    const other = await waitForEnd(server.url, 'stops_other', 60_000);
    expect(other.properties.status).toBe('Canceled');
    const s = await shown('stops');
    expect(stepOf(s, 'after').phase).toBe('Skipped');
    expect((await api(server.url, 'GET', '/api/workspaces/default/jobs/stops_after')).status).toBe(404);

    const continued = await submit(failing(true), 'continues');
    expect(continued.properties.status).toBe('Failed');
    const c = await shown('continues');
    expect(stepOf(c, 'other').phase).toBe('Completed');
    expect(stepOf(c, 'bad').phase).toBe('Failed');
    expect(stepOf(c, 'after')).toMatchObject({ phase: 'Skipped', why: 'step bad did not complete' });
  }, 180_000);

  it('cancel of a pipeline cancels its running steps, then ends Canceled', async () => {
    const file = join(
      folder({
        'pipeline.yml': stringify({
          type: 'pipeline',
          compute: 'azureml:cpu',
          jobs: {
            long: { command: 'sleep 60', outputs: { o: null } },
            next: { command: 'ls ${{inputs.i}}', inputs: { i: '${{parent.jobs.long.outputs.o}}' } },
          },
        }),
      }),
      'pipeline.yml',
    );
    expect((await cli(['job', 'create', '-f', file, '--name', 'canc'])).code).toBe(0);
    await waitForJob(server.url, 'canc_long', (j) => j.properties.status === 'Running', 'to run');
    const r = await cli(['job', 'cancel', '-n', 'canc']);
    expect(r.code, r.stderr).toBe(0);
    expect((await waitForEnd(server.url, 'canc')).properties.status).toBe('Canceled');
    expect((await waitForEnd(server.url, 'canc_long')).properties.status).toBe('Canceled');
  }, 60_000);

  it('refuses a cycle and an unknown reference at submission, naming the field and value', async () => {
    const cycle = await api(server.url, 'PUT', '/api/workspaces/default/jobs/cyclic', {
      spec: {
        type: 'pipeline',
        compute: 'azureml:cpu',
        jobs: {
          a: { command: 'true', inputs: { x: '${{parent.jobs.b.outputs.o}}' }, outputs: { o: null } },
          b: { command: 'true', inputs: { y: '${{parent.jobs.a.outputs.o}}' }, outputs: { o: null } },
        },
      },
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.code).toBe('PipelineGraphInvalid');
    expect(cycle.body.error.message).toContain('makes a cycle');
    const unknown = await api(server.url, 'PUT', '/api/workspaces/default/jobs/unknown', {
      spec: { type: 'pipeline', compute: 'azureml:cpu', jobs: { a: { component: 'azureml:nope@latest' } } },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.target).toBe('jobs.a.component');
  });
});
