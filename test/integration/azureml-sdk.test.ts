import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, repoRoot, tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { adminToken, api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// The official Azure ML Python SDK v2 (Debian's python3-azure: azure-ai-ml 1.4.0), unchanged, against a
// real server over TLS, configured only by `hangar azureml env`. Timings are printed, never asserted.

const sdkDir = join(repoRoot, 'test', 'azureml-sdk');
const sdkInstalled = existsSync('/usr/lib/python3/dist-packages/azure/ai/ml/__init__.py');
const WS_PATH =
  '/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces';
const ENVIRONMENT = 'azureml:AzureML-sklearn-1.5@latest';

let server: ServerProcess;
let sdkEnv: Record<string, string> = {};
const figures: string[] = [];

/** Runs a flow script with the `hangar azureml env` variables (and the pydash stand-in first on PYTHONPATH). */
function python(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', args, {
      cwd: sdkDir,
      env: childEnv({
        ...sdkEnv,
        PYTHONPATH: sdkDir,
        // No __pycache__ left in the repository's test folder.
        PYTHONDONTWRITEBYTECODE: '1',
        // DefaultAzureCredential would try these first (and go to login.microsoftonline.com).
        AZURE_CLIENT_ID: undefined,
        AZURE_CLIENT_SECRET: undefined,
        AZURE_TENANT_ID: undefined,
        AZURE_USERNAME: undefined,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function flowTimes(out: string): Record<string, number> {
  return Object.fromEntries([...out.matchAll(/^FLOW (\S+) ([\d.]+)$/gm)].map((m) => [m[1], Number(m[2])]));
}

async function timedCli(args: string[]): Promise<number> {
  const start = performance.now();
  const r = await runCli(args, { url: server.url, cwd: sdkDir });
  expect(r.code, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return (performance.now() - start) / 1000;
}

beforeAll(async () => {
  if (!sdkInstalled)
    throw new Error(
      'azure-ai-ml is not installed: run scripts/install-debian-deps.sh (python3-azure, python3-azure-storage)',
    );
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300 },
      // No registry here: the curated name and the image the SDK flow registers run on the node's Python.
      environmentAliases: [
        { match: 'AzureML-sklearn-1.5', python: '/usr/bin/python3' },
        { match: 'mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04', python: '/usr/bin/python3' },
      ],
    },
  });
  const printed = await runCli(['azureml', 'env', '--token'], { url: server.url });
  expect(printed.code, printed.stderr).toBe(0);
  sdkEnv = Object.fromEntries(
    [...printed.stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [
      m[1] ?? '',
      (m[2] ?? '').replace(/^'|'$/g, ''),
    ]),
  );
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (figures.length > 0)
    process.stdout.write(`\nAzure ML SDK vs hangar CLI (seconds):\n${figures.join('\n')}\n`);
});

describe('hangar azureml env and the TLS listener', () => {
  it('prints the variables an unchanged script needs, with a CA bundle that trusts the server', () => {
    expect(Object.keys(sdkEnv).sort()).toEqual(
      [
        'AZUREML_DEV_URL_MFE',
        'HANGAR_ACCESS_TOKEN',
        'IDENTITY_ENDPOINT',
        'IDENTITY_HEADER',
        'REQUESTS_CA_BUNDLE',
      ].sort(),
    );
    expect(sdkEnv.AZUREML_DEV_URL_MFE).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sdkEnv.IDENTITY_ENDPOINT).toBe(`${sdkEnv.AZUREML_DEV_URL_MFE}/msi/token`);
    const ca = readFileSync(join(server.home, 'tls', 'hangar-ca.pem'), 'utf8').trim();
    const bundle = readFileSync(sdkEnv.REQUESTS_CA_BUNDLE ?? '', 'utf8');
    expect(bundle).toContain(ca);
    expect(bundle.match(/BEGIN CERTIFICATE/g)?.length ?? 0).toBeGreaterThan(1);
    for (const key of ['ca.key', 'server.key'])
      expect(statSync(join(server.home, 'tls', key)).mode & 0o777, key).toBe(0o600);
  });
});

describe('ARM routes: authorization and bad input', () => {
  let readerToken = '';
  beforeAll(async () => {
    const made = await api(server.url, 'POST', '/api/users', { name: 'rhea' });
    expect(made.status).toBe(201);
    const t = await api(server.url, 'POST', '/api/users/rhea/tokens', { name: 't', expiresInDays: 1 });
    readerToken = t.body.token;
    const r = await api(server.url, 'POST', '/api/roleAssignments', {
      principalId: made.body.id,
      roleName: 'Reader',
      scope: '/workspaces/default',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  });

  it('refuses calls without credentials, and tokens minted for a user act as that user', async () => {
    const none = await fetch(`${server.url}${WS_PATH}/default?api-version=2022-10-01-preview`);
    expect(none.status).toBe(401);
    const jwt = sdkEnv.HANGAR_ACCESS_TOKEN ?? '';
    expect(jwt.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims.aud).toBe('https://management.azure.com');
    expect(typeof claims.tid).toBe('string');
    const ok = await api(server.url, 'GET', `${WS_PATH}/default?api-version=x`, undefined, jwt);
    expect(ok.status).toBe(200);
    expect(ok.body.properties.discoveryUrl).toBe(`${server.url}/discovery`);
    const forged = `${jwt.slice(0, -4)}AAAA`;
    expect((await api(server.url, 'GET', `${WS_PATH}/default`, undefined, forged)).status).toBe(401);
  });

  it('the identity endpoint needs a Hangar credential and a resource, and mints the asked audience', async () => {
    const url = `${server.url}/msi/token?api-version=2019-08-01`;
    const missing = await fetch(`${url}&resource=https://ml.azure.com`);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { target: string } }).error.target).toBe('X-IDENTITY-HEADER');
    const bad = await fetch(`${url}&resource=https://ml.azure.com`, {
      headers: { 'X-IDENTITY-HEADER': 'hgr_nope' },
    });
    expect(bad.status).toBe(401);
    const noResource = await fetch(url, { headers: { 'X-IDENTITY-HEADER': adminToken(server.url) ?? '' } });
    expect(noResource.status).toBe(400);
    const ml = await fetch(`${url}&resource=https://ml.azure.com/`, {
      headers: { 'X-IDENTITY-HEADER': readerToken },
    });
    const body = (await ml.json()) as { access_token: string; resource: string; expires_on: string };
    expect(body.resource).toBe('https://ml.azure.com');
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1] ?? '', 'base64url').toString());
    expect(claims.aud).toBe('https://ml.azure.com');
    expect(claims.name).toBe('rhea');
    // A Reader's minted token reads but may not write.
    const read = await api(server.url, 'GET', `${WS_PATH}/default/computes`, undefined, body.access_token);
    expect(read.status).toBe(200);
    const write = await api(
      server.url,
      'PUT',
      `${WS_PATH}/default/computes/nope`,
      { properties: { computeType: 'AmlCompute', properties: { vmSize: 'STANDARD_DS3_v2' } } },
      body.access_token,
    );
    expect(write.status).toBe(403);
    const secrets = await api(
      server.url,
      'POST',
      `${WS_PATH}/default/datastores/workspaceblobstore/listSecrets`,
      undefined,
      readerToken,
    );
    expect(secrets.status).toBe(403);
    // Asset routes: a Reader lists data but may not register it.
    const list = await api(server.url, 'GET', `${WS_PATH}/default/data`, undefined, body.access_token);
    expect(list.status).toBe(200);
    const put = await api(
      server.url,
      'PUT',
      `${WS_PATH}/default/data/d1/versions/1`,
      { properties: { dataType: 'uri_file', dataUri: 'https://example.com/a.csv' } },
      body.access_token,
    );
    expect(put.status).toBe(403);
    // Pipelines: a Reader may not submit one, but lists a job's child runs; none without credentials.
    const pipeline = await api(
      server.url,
      'PUT',
      `${WS_PATH}/default/jobs/p-reader`,
      { properties: { jobType: 'Pipeline', jobs: { a: { type: 'command', command: 'echo' } } } },
      body.access_token,
    );
    expect(pipeline.status).toBe(403);
    const children = `/history/v1.0${WS_PATH}/default/runs/absent/children`;
    expect((await fetch(`${server.url}${children}`)).status).toBe(401);
    const readChildren = await api(server.url, 'GET', children, undefined, body.access_token);
    expect(readChildren.status).toBe(404);
    expect(readChildren.body.error.code).toBe('NotFound');
  });

  it('answers bad input with ARM errors naming the field', async () => {
    const spark = await api(server.url, 'PUT', `${WS_PATH}/default/jobs/j1`, {
      properties: { jobType: 'Spark', computeId: 'x' },
    });
    expect(spark.status).toBe(400);
    expect(spark.body.error).toMatchObject({ code: 'OperationNotSupported', target: 'properties.jobType' });
    const empty = await api(server.url, 'PUT', `${WS_PATH}/default/jobs/j1`, {
      properties: { jobType: 'Pipeline', computeId: 'x', jobs: {} },
    });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toMatchObject({ code: 'ValidationFailed', target: 'properties.jobs' });
    // A pipeline node type Hangar does not run, and a binding to no step: refused naming the node's field.
    const step = { type: 'command', command: 'echo ${{outputs.o}}', outputs: { o: {} } };
    const parallel = await api(server.url, 'PUT', `${WS_PATH}/default/jobs/j1`, {
      properties: {
        jobType: 'Pipeline',
        jobs: { a: step, p: { type: 'parallel', componentId: 'azureml:x:1' } },
      },
    });
    expect(parallel.status).toBe(501);
    expect(parallel.body.error).toMatchObject({ code: 'NotImplemented', target: 'properties.jobs.p.type' });
    const binding = await api(server.url, 'PUT', `${WS_PATH}/default/jobs/j1`, {
      properties: {
        jobType: 'Pipeline',
        settings: { default_compute: `${WS_PATH}/default/computes/c` },
        jobs: {
          a: step,
          b: {
            ...step,
            inputs: { x: { job_input_type: 'literal', value: '${{parent.jobs.nope.outputs.o}}' } },
          },
        },
      },
    });
    expect(binding.status).toBe(400);
    expect(binding.body.error).toMatchObject({
      code: 'PipelineGraphInvalid',
      target: 'properties.jobs.b.inputs.x',
    });
    expect(binding.body.error.message).toContain('${{parent.jobs.nope.outputs.o}}');
    expect((await api(server.url, 'GET', `${WS_PATH}/default/jobs/j1`)).status).toBe(404);
    const sweep = await api(server.url, 'PUT', `${WS_PATH}/default/jobs/j1`, {
      properties: { jobType: 'Sweep', computeId: 'x', trial: {} },
    });
    expect(sweep.status).toBe(400);
    expect(sweep.body.error).toMatchObject({ code: 'ValidationFailed', target: 'properties.trial.command' });
    const view = await api(server.url, 'GET', `${WS_PATH}/default/jobs?listViewType=Bogus`);
    expect(view.status).toBe(400);
    expect(view.body.error.target).toBe('listViewType');
    const code = await api(server.url, 'PUT', `${WS_PATH}/default/codes/c1/versions/1`, {
      properties: { codeUri: 'https://elsewhere.example/acct/container/src' },
    });
    expect(code.status).toBe(400);
    expect(code.body.error.target).toBe('properties.codeUri');
    const notUploaded = await api(server.url, 'PUT', `${WS_PATH}/default/data/d1/versions/1`, {
      properties: {
        dataType: 'uri_folder',
        dataUri: 'azureml://datastores/workspaceblobstore/paths/LocalUpload/0123/nothing',
      },
    });
    expect(notUploaded.status).toBe(404);
    expect(notUploaded.body.error.target).toBe('properties.dataUri');
    const modelType = await api(server.url, 'PUT', `${WS_PATH}/default/models/m1/versions/1`, {
      properties: { modelType: 'pickle', modelUri: 'https://example.com/m.pkl' },
    });
    expect(modelType.status).toBe(400);
    expect(modelType.body.error.target).toContain('modelType');
    const component = await api(server.url, 'GET', `${WS_PATH}/default/components/absent`);
    expect(component.status).toBe(404);
    const op = await api(server.url, 'GET', `${WS_PATH}/default/computeOperations/garbage`);
    expect(op.status).toBe(404);
    const missing = await api(server.url, 'GET', `${WS_PATH}/default/computes/absent`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NotFound');
    const ds = await api(server.url, 'GET', `${WS_PATH}/default/datastores/other`);
    expect(ds.status).toBe(404);
    const blob = await fetch(
      `${server.url}/hangarblob/azureml-blobstore-default?restype=container&comp=list&sig=x&se=2099-01-01T00:00:00Z&skoid=u`,
    );
    expect(blob.status).toBe(403);
    expect(blob.headers.get('x-ms-error-code')).toBe('AuthenticationFailed');
    const anon = await fetch(`${server.url}/hangarblob/azureml-blobstore-default/a.txt`);
    expect(anon.status).toBe(401);
    const log = await fetch(
      `${server.url}/azureml-logs/default/j1/user_logs/std_log.txt?se=9999999999&sig=forged`,
    );
    expect(log.status).toBe(401);
  });
});

describe('flows through the unchanged SDK', () => {
  it('(5) DefaultAzureCredential, (2) AmlCompute and (1) ComputeInstance flows', async () => {
    const sshDir = tempDir('hangar-sdk-ssh-');
    await new Promise<void>((resolve, reject) =>
      spawn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(sshDir, 'id')], { stdio: 'ignore' })
        .on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`ssh-keygen ${c}`))))
        .on('error', reject),
    );
    const pub = readFileSync(join(sshDir, 'id.pub'), 'utf8').trim();
    const r = await python(['compute_flows.py', 'sub-1', 'rg-1', 'default', pub], 240_000);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('\nOK');
    const sdk = flowTimes(r.out);
    const cli = {
      cluster:
        (await timedCli([
          'compute',
          'create',
          '--name',
          'cli-cluster',
          '--type',
          'amlcompute',
          '--size',
          'STANDARD_DS3_v2',
          '--min-instances',
          '0',
          '--max-instances',
          '2',
          '--idle-time-before-scale-down',
          '120',
          '--tier',
          'low_priority',
        ])) +
        (await timedCli(['compute', 'list'])) +
        (await timedCli(['compute', 'list-sizes'])) +
        (await timedCli(['compute', 'list-usage'])) +
        (await timedCli(['compute', 'list-nodes', '-n', 'cli-cluster'])) +
        (await timedCli(['compute', 'update', '-n', 'cli-cluster', '--max-instances', '3'])) +
        (await timedCli(['compute', 'delete', '-n', 'cli-cluster', '--yes'])),
    };
    figures.push(`credential+workspace  sdk ${sdk.credential?.toFixed(2)}`);
    figures.push(`AmlCompute flow       sdk ${sdk.cluster?.toFixed(2)}  cli ${cli.cluster.toFixed(2)}`);
    figures.push(
      `ComputeInstance flow  sdk ${sdk.instance?.toFixed(2)}  (create/get/stop/start/restart/delete, waiting on each)`,
    );
  }, 300_000);

  it('(3) a command job: create_or_update with ./src, stream, get, download(all), list, begin_cancel; (4) a registered environment, load_compute and load_job', async () => {
    const dl = tempDir('hangar-sdk-download-');
    const r = await python(['job_flows.py', 'sub-1', 'rg-1', 'default', ENVIRONMENT, dl], 280_000);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('epoch 3 of 3');
    expect(existsSync(join(dl, 'artifacts', 'outputs', 'result.txt'))).toBe(true);
    expect(readFileSync(join(dl, 'artifacts', 'outputs', 'result.txt'), 'utf8')).toBe(
      'trained for 3 epochs\n',
    );
    expect(readFileSync(join(dl, 'artifacts', 'user_logs', 'std_log.txt'), 'utf8')).toContain(
      'training done',
    );
    const sdk = flowTimes(r.out);
    const cliJob = await timedCli(['job', 'create', '-f', 'job.yml', '--stream']);
    figures.push(`command job + stream  sdk ${sdk.job?.toFixed(2)}  cli ${cliJob.toFixed(2)}`);
    expect(Object.keys(sdk)).toEqual(['cluster', 'job', 'download', 'list', 'cancel', 'environment', 'yaml']);
    figures.push(`download(all=True)    sdk ${sdk.download?.toFixed(2)}`);
    figures.push(`submit + cancel       sdk ${sdk.cancel?.toFixed(2)}`);
    figures.push(`Environment + job     sdk ${sdk.environment?.toFixed(2)}`);
    figures.push(`load_compute+load_job sdk ${sdk.yaml?.toFixed(2)}`);
  }, 300_000);

  it('(4) Data from a local folder and file, a job reading it by @latest, a Model, a Component (and a job running it)', async () => {
    const r = await python(['asset_flows.py', 'sub-1', 'rg-1', 'default', ENVIRONMENT], 240_000);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('a.csv: 3 lines');
    const job = /^JOB (\S+)$/m.exec(r.out)?.[1] ?? '';
    // One asset service behind both APIs: the SDK's registrations are native assets, with lineage.
    const folder = await api(server.url, 'GET', '/api/workspaces/default/data/sdk-folder/versions/2');
    expect(folder.status).toBe(200);
    expect(folder.body.properties.dataUri).toMatch(
      /^azureml:\/\/datastores\/workspaceblobstore\/paths\/snapshots\//,
    );
    const manifest = await api(
      server.url,
      'GET',
      '/api/workspaces/default/data/sdk-folder/versions/2/manifest',
    );
    expect(manifest.body.entries.map((e: { path: string }) => e.path).sort()).toEqual(['a.csv', 'b.csv']);
    const model = await api(
      server.url,
      'GET',
      '/api/workspaces/default/models/sdk-model/versions/1/manifest',
    );
    expect(model.body.entries.map((e: { path: string }) => e.path)).toEqual(['model.txt']);
    const lineage = await api(server.url, 'GET', '/api/workspaces/default/data/sdk-folder/versions/2/jobs');
    expect(lineage.body.value).toContainEqual(
      expect.objectContaining({ job, direction: 'input', port: 'd' }),
    );
    const sdk = flowTimes(r.out);
    expect(Object.keys(sdk)).toEqual(['data', 'datajob', 'model', 'component']);
    const cliData = await timedCli([
      'data',
      'create',
      '--name',
      'cli-folder',
      '--type',
      'uri_folder',
      '--path',
      './assets/data',
    ]);
    figures.push(`Data create+get x3    sdk ${sdk.data?.toFixed(2)}  cli (one create) ${cliData.toFixed(2)}`);
    figures.push(`job reading data      sdk ${sdk.datajob?.toFixed(2)}`);
    figures.push(`Model create+get      sdk ${sdk.model?.toFixed(2)}`);
    figures.push(`Component + its job   sdk ${sdk.component?.toFixed(2)}`);
  }, 300_000);

  it('a random sweep of 2 trials, 1 at a time: create_or_update(command(...).sweep(...)), get until Completed', async () => {
    const r = await python(['sweep_flows.py', 'sub-1', 'rg-1', 'default', ENVIRONMENT], 240_000);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('\nOK');
    const name = /^SWEEP (\S+)$/m.exec(r.out)?.[1] ?? '';
    // The SDK's sweep is a native sweep: its trials are jobs whose parent is the sweep.
    const trials = await api(server.url, 'GET', `/api/workspaces/default/jobs?parentJobName=${name}`);
    expect(trials.status).toBe(200);
    expect(trials.body.value).toHaveLength(2);
    figures.push(`random sweep, 2 trials sdk ${flowTimes(r.out).sweep?.toFixed(2)}`);
  }, 300_000);

  it('pipelines: load_job of a two-step YAML (stream, list by parent) and a @dsl.pipeline of two command components', async () => {
    const r = await python(['pipeline_flows.py', 'sub-1', 'rg-1', 'default', ENVIRONMENT], 240_000);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('\nOK');
    // The SDK's pipelines are native pipelines: steps are child jobs, the second read the first's output.
    for (const flow of ['yaml', 'dsl']) {
      const name = new RegExp(`^PIPELINE ${flow} (\\S+)$`, 'm').exec(r.out)?.[1] ?? '';
      const shown = await api(server.url, 'GET', `/api/workspaces/default/jobs/${name}`);
      expect(shown.body.properties.status, flow).toBe('Completed');
      const steps = await api(server.url, 'GET', `/api/workspaces/default/jobs?parentJobName=${name}`);
      expect(steps.body.value, flow).toHaveLength(2);
    }
    // Each second step read its first step's output (4 rows in the YAML, 3 from the DSL call).
    for (const [flow, step, rows] of [
      ['yaml', 'train', 4],
      ['dsl', 'second', 3],
    ] as const) {
      const name = new RegExp(`^PIPELINE ${flow} (\\S+)$`, 'm').exec(r.out)?.[1] ?? '';
      const log = await runCli(['job', 'stream', '-n', `${name}_${step}`], { url: server.url });
      expect(log.stdout, flow).toContain(`train read ${rows} rows`);
    }
    const sdk = flowTimes(r.out);
    const start = performance.now();
    const created = await runCli(
      // force_rerun: the same steps as the SDK's would otherwise be reused, not run.
      [
        'job',
        'create',
        '-f',
        'pipeline/pipeline.yml',
        '--name',
        'cli-pipe',
        '--set',
        'settings.force_rerun=true',
      ],
      {
        url: server.url,
        cwd: sdkDir,
      },
    );
    expect(created.code, created.stderr).toBe(0);
    await waitFor(
      async () =>
        (await api(server.url, 'GET', '/api/workspaces/default/jobs/cli-pipe')).body.properties.status ===
        'Completed',
      'the CLI pipeline to complete',
      120_000,
    );
    const cliPipeline = (performance.now() - start) / 1000;
    figures.push(`pipeline (2 steps)    sdk ${sdk.yaml?.toFixed(2)}  cli ${cliPipeline.toFixed(2)}`);
    figures.push(`@dsl.pipeline 2 steps sdk ${sdk.dsl?.toFixed(2)}`);
  }, 300_000);

  it('a registered pipeline component: components.create_or_update(@dsl.pipeline), get, and jobs of it (a node, the id alone)', async () => {
    const r = await python(['pipeline_component_flows.py', 'sub-1', 'rg-1', 'default', ENVIRONMENT], 240_000);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('\nOK');
    const component = await api(
      server.url,
      'GET',
      '/api/workspaces/default/components/prep_and_train/versions/1',
    );
    expect(component.status).toBe(200);
    expect(component.body.properties.componentSpec).toMatchObject({ type: 'pipeline' });
    expect(Object.keys(component.body.properties.componentSpec.jobs).sort()).toEqual(['first', 'second']);
    // Each job ran the component's graph: its steps are its children, the second read the first's rows.
    for (const [flow, rows] of [
      ['node', 5],
      ['id', 4],
    ] as const) {
      const name = new RegExp(`^PIPELINE ${flow} (\\S+)$`, 'm').exec(r.out)?.[1] ?? '';
      expect(
        (await api(server.url, 'GET', `/api/workspaces/default/jobs/${name}`)).body.properties.status,
      ).toBe('Completed');
      const steps = await api(server.url, 'GET', `/api/workspaces/default/jobs?parentJobName=${name}`);
      expect(steps.body.value.map((s: any) => s.name).sort()).toEqual([`${name}_first`, `${name}_second`]);
      const log = await runCli(['job', 'stream', '-n', `${name}_second`], { url: server.url });
      expect(log.stdout, flow).toContain(`train read ${rows} rows`);
    }
    const times = flowTimes(r.out);
    figures.push(
      `pipeline component    sdk register ${times.register?.toFixed(2)}  run ${times.node?.toFixed(2)}`,
    );
  }, 300_000);

  it('a @dsl.pipeline calling a @dsl.pipeline: the nested node runs as its inner steps, its output read by the next', async () => {
    const r = await python(['nested_pipeline_flows.py', 'sub-1', 'rg-1', 'default', ENVIRONMENT], 120_000);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('\nOK');
    const name = /^PIPELINE nested (\S+)$/m.exec(r.out)?.[1] ?? '';
    const steps = await api(server.url, 'GET', `/api/workspaces/default/jobs?parentJobName=${name}`);
    expect(steps.body.value.map((s: any) => s.name).sort()).toEqual([
      `${name}_scored`,
      `${name}_sub_first`,
      `${name}_sub_second`,
    ]);
    // rows=3 passed into the inner pipeline; its model output reached the outer step.
    const log = await runCli(['job', 'stream', '-n', `${name}_scored`], { url: server.url });
    expect(log.stdout).toContain('trained on 3 rows');
    figures.push(`nested @dsl.pipeline  sdk ${flowTimes(r.out).nested?.toFixed(2)}`);
  }, 150_000);

  it('refuses a pipeline component without steps and a Pipeline job of a command component, naming the field', async () => {
    const components = `${WS_PATH}/default/components`;
    const noSteps = await api(server.url, 'PUT', `${components}/empty_pipe/versions/1`, {
      properties: { componentSpec: { type: 'pipeline', jobs: {} } },
    });
    expect(noSteps.status).toBe(400);
    expect(noSteps.body.error.target).toContain('componentSpec.jobs');
    expect(noSteps.body.error.message).toContain('a pipeline component needs at least one step');
    const cmd = await api(server.url, 'PUT', `${components}/echo_cmd/versions/1`, {
      properties: { componentSpec: { type: 'command', command: 'echo hi', environment: ENVIRONMENT } },
    });
    expect(cmd.status, JSON.stringify(cmd.body)).toBeLessThan(300);
    const job = await api(server.url, 'PUT', `${WS_PATH}/default/jobs/of_command_component`, {
      properties: { jobType: 'Pipeline', componentId: `${components}/echo_cmd/versions/1`, jobs: {} },
    });
    expect(job.status).toBe(400);
    expect(job.body.error.target).toBe('properties.componentId');
    expect(job.body.error.message).toContain("'azureml:echo_cmd:1' is a command component");
  });
});
