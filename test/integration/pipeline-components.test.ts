import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, waitForEnd } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Pipeline components (az ml's pipelineComponent YAML) registered with the CLI and used as a step of
// a pipeline job: expanded into `<step>_<inner>` steps, outputs flowing on, inner steps reused.

let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });

function folder(files: Record<string, string>): string {
  const dir = tempDir('hangar-pipeline-component-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

async function shown(args: string[]): Promise<any> {
  const r = await cli([...args, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const stepOf = (job: any, step: string): any => job.pipeline.steps.find((s: any) => s.step === step);

const command = (name: string, cmd: string, inputs: object, outputs: object) =>
  stringify({
    $schema: 'https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json',
    name,
    type: 'command',
    code: './src',
    environment: 'azureml:shell-env@latest',
    command: cmd,
    inputs,
    outputs,
  });

/** Azure's layout: the pipeline component next to its command components, the pipeline using it. */
const dir = folder({
  'data/a.txt': 'one\ntwo\nthree\nfour\n',
  'components/prep.yml': command(
    'prep',
    'bash prep.sh ${{inputs.raw}} ${{inputs.rows}} ${{outputs.clean}}',
    { raw: { type: 'uri_folder' }, rows: { type: 'integer' } },
    { clean: { type: 'uri_folder' } },
  ),
  'components/train.yml': command(
    'train',
    'bash train.sh ${{inputs.data}} ${{outputs.model}}',
    { data: { type: 'uri_folder' } },
    { model: { type: 'uri_folder' } },
  ),
  'components/src/prep.sh': 'echo prepping; head -n "$2" "$1/a.txt" > "$3/clean.txt"\n',
  'components/src/train.sh': 'echo training; tr a-z A-Z < "$1/clean.txt" > "$2/model.txt"\n',
  'components/prep_train.yml': stringify({
    $schema: 'https://azuremlschemas.azureedge.net/latest/pipelineComponent.schema.json',
    type: 'pipeline',
    name: 'prep_train',
    version: '1',
    description: 'prep then train',
    inputs: { raw: { type: 'uri_folder' }, rows: { type: 'integer', default: 2 } },
    outputs: { model: { type: 'uri_folder' } },
    jobs: {
      prep: {
        type: 'command',
        component: './prep.yml',
        inputs: { raw: '${{parent.inputs.raw}}', rows: '${{parent.inputs.rows}}' },
      },
      train: {
        type: 'command',
        component: './train.yml',
        inputs: { data: '${{parent.jobs.prep.outputs.clean}}' },
        outputs: { model: '${{parent.outputs.model}}' },
      },
    },
  }),
  'pipeline.yml': stringify({
    $schema: 'https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json',
    type: 'pipeline',
    settings: { default_compute: 'azureml:cpu' },
    inputs: { raw: { type: 'uri_folder', path: './data' } },
    outputs: { report: { type: 'uri_folder' } },
    jobs: {
      sub: {
        type: 'pipeline',
        component: 'azureml:prep_train@latest',
        inputs: { raw: '${{parent.inputs.raw}}', rows: 3 },
      },
      report: {
        command: 'cat ${{inputs.model}}/model.txt; cp ${{inputs.model}}/model.txt ${{outputs.report}}/',
        environment: 'azureml:shell-env@latest',
        inputs: { model: '${{parent.jobs.sub.outputs.model}}' },
        outputs: { report: '${{parent.outputs.report}}' },
      },
    },
  }),
  // The same graph, the pipeline component read from its file (relative paths inside it resolve there).
  'pipeline-file.yml': stringify({
    type: 'pipeline',
    settings: { default_compute: 'azureml:cpu' },
    inputs: { raw: { type: 'uri_folder', path: './data' } },
    jobs: {
      sub: {
        type: 'pipeline',
        component: './components/prep_train.yml',
        inputs: { raw: '${{parent.inputs.raw}}' },
      },
      report: {
        command: 'cat ${{inputs.model}}/model.txt',
        environment: 'azureml:shell-env@latest',
        inputs: { model: '${{parent.jobs.sub.outputs.model}}' },
      },
    },
  }),
});

beforeAll(async () => {
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300, cancelGraceSeconds: 1 },
      environmentAliases: [{ match: 'azureml:shell-env@latest', python: '/usr/bin/python3' }],
    },
  });
  await createCluster(server.url, 'cpu', 1, 1);
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

describe('pipeline components (real server, agents, CLI)', () => {
  it('registers a pipeline component from its YAML and shows and lists it in az ml shape', async () => {
    const created = await shown(['component', 'create', '-f', join(dir, 'components/prep_train.yml')]);
    expect(created).toMatchObject({ name: 'prep_train', version: '1', type: 'pipeline' });
    const got = await shown(['component', 'show', '-n', 'prep_train', '-v', '1']);
    expect(got).toMatchObject({
      name: 'prep_train',
      version: '1',
      type: 'pipeline',
      description: 'prep then train',
      inputs: { raw: { type: 'uri_folder' }, rows: { type: 'integer', default: 2 } },
      outputs: { model: { type: 'uri_folder' } },
    });
    expect(Object.keys(got.jobs)).toEqual(['prep', 'train']);
    // The step's component file travels inline, its code uploaded.
    expect(got.jobs.prep.component).toMatchObject({ name: 'prep', type: 'command' });
    expect(got.jobs.prep.component.code).toMatch(
      /^azureml:\/\/datastores\/workspaceblobstore\/paths\/snapshots\//,
    );
    const listed = await shown(['component', 'list']);
    expect(listed.find((c: any) => c.name === 'prep_train')).toMatchObject({ latest_version: '1' });
    const versions = await shown(['component', 'list', '-n', 'prep_train']);
    expect(versions.map((v: any) => [v.version, v.type])).toEqual([['1', 'pipeline']]);
  }, 60_000);

  it('refuses bad pipeline component YAML naming the field', async () => {
    const bad = folder({
      'unbound.yml': stringify({
        type: 'pipeline',
        name: 'unbound',
        inputs: { raw: { type: 'uri_folder' } },
        jobs: {
          a: {
            command: 'ls ${{inputs.x}}',
            environment: 'azureml:shell-env@latest',
            inputs: { x: '${{parent.inputs.rows}}' },
          },
        },
      }),
      'self.yml': stringify({
        type: 'pipeline',
        name: 'self',
        jobs: { again: { type: 'pipeline', component: './self.yml' } },
      }),
      'loop.yml': stringify({
        type: 'pipeline',
        name: 'loop',
        jobs: { again: { type: 'pipeline', component: 'azureml:loop@latest' } },
      }),
      'uses-loop.yml': stringify({
        type: 'pipeline',
        settings: { default_compute: 'azureml:cpu' },
        jobs: { outer: { type: 'pipeline', component: 'azureml:loop@latest' } },
      }),
      'bad-step.yml': stringify({
        type: 'pipeline',
        settings: { default_compute: 'azureml:cpu' },
        jobs: {
          sub: {
            type: 'pipeline',
            component: 'azureml:prep_train:1',
            inputs: { raw: 'azureml:nope:1', size: 3 },
          },
        },
      }),
    });
    const unbound = await cli(['component', 'create', '-f', join(bad, 'unbound.yml')]);
    expect(unbound.code).not.toBe(0);
    expect(unbound.stderr).toContain(
      "componentSpec.jobs.a.inputs.x: '${{parent.inputs.rows}}' names no input of the component (declared: raw)",
    );
    const self = await cli(['component', 'create', '-f', join(bad, 'self.yml')]);
    expect(self.code).not.toBe(0);
    expect(self.stderr).toContain("jobs.again.component: './self.yml' contains itself");

    // A registered component may name itself through @latest: refused when a pipeline uses it.
    expect((await cli(['component', 'create', '-f', join(bad, 'loop.yml')])).code).toBe(0);
    const loop = await cli(['job', 'create', '-f', join(bad, 'uses-loop.yml'), '--name', 'loops']);
    expect(loop.code).not.toBe(0);
    expect(loop.stderr).toContain(
      "PipelineGraphInvalid: jobs.outer.component.jobs.again.component: 'azureml:loop:1' contains itself: azureml:loop:1 → azureml:loop:1",
    );
    const step = await cli(['job', 'create', '-f', join(bad, 'bad-step.yml'), '--name', 'badstep']);
    expect(step.code).not.toBe(0);
    expect(step.stderr).toContain(
      "jobs.sub.inputs.size: the pipeline component azureml:prep_train:1 has no input 'size' (its inputs: raw, rows)",
    );
  }, 60_000);

  it('runs a pipeline with the component as a step, outputs flowing on; a rerun reuses the inner steps', async () => {
    const r = await cli(['job', 'create', '-f', join(dir, 'pipeline.yml'), '--name', 'nest1']);
    expect(r.code, r.stderr).toBe(0);
    const first = await waitForEnd(server.url, 'nest1', 60_000);
    expect(first.properties.status, JSON.stringify(first.properties)).toBe('Completed');
    const show = await shown(['job', 'show', '-n', 'nest1']);
    expect(show.pipeline.steps.map((s: any) => [s.step, s.phase])).toEqual([
      ['sub_prep', 'Completed'],
      ['sub_train', 'Completed'],
      ['report', 'Completed'],
    ]);
    expect(stepOf(show, 'sub_prep').component).toBe('component file (prep)');
    const children = await shown(['job', 'list', '--parent-job-name', 'nest1']);
    expect(children.map((c: any) => c.name).sort()).toEqual([
      'nest1_report',
      'nest1_sub_prep',
      'nest1_sub_train',
    ]);
    // rows: 3 given on the step (the component's default is 2); the model reached the next step.
    expect((await cli(['job', 'stream', '-n', 'nest1_report'])).stdout).toContain('ONE\nTWO\nTHREE\n');
    const into = tempDir('hangar-pipeline-component-dl-');
    const dl = await cli([
      'job',
      'download',
      '-n',
      'nest1',
      '--output-name',
      'report',
      '--download-path',
      into,
    ]);
    expect(dl.code, dl.stderr).toBe(0);
    expect(readFileSync(join(into, 'nest1_report', 'outputs', 'report', 'model.txt'), 'utf8')).toBe(
      'ONE\nTWO\nTHREE\n',
    );

    // The same pipeline again: each inner step reuses its earlier run.
    expect((await cli(['job', 'create', '-f', join(dir, 'pipeline.yml'), '--name', 'nest2'])).code).toBe(0);
    expect((await waitForEnd(server.url, 'nest2', 60_000)).properties.status).toBe('Completed');
    const again = await shown(['job', 'show', '-n', 'nest2']);
    expect(stepOf(again, 'sub_prep')).toMatchObject({ reused_from: 'nest1_sub_prep' });
    expect(stepOf(again, 'sub_train')).toMatchObject({ reused_from: 'nest1_sub_train' });
    expect((await shown(['job', 'show', '-n', 'nest2_sub_train'])).attempts ?? []).toHaveLength(0);

    // From its file, with the component's default rows (2): prep runs anew, its input differing.
    expect((await cli(['job', 'create', '-f', join(dir, 'pipeline-file.yml'), '--name', 'nest3'])).code).toBe(
      0,
    );
    expect((await waitForEnd(server.url, 'nest3', 60_000)).properties.status).toBe('Completed');
    const log3 = (await cli(['job', 'stream', '-n', 'nest3_report'])).stdout;
    expect(log3).toContain('ONE\nTWO\n');
    expect(log3).not.toContain('THREE');
    const third = await shown(['job', 'show', '-n', 'nest3']);
    expect(stepOf(third, 'sub_prep').reuse).toContain('inputs.rows');
  }, 60_000);
});
