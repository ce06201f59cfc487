import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, waitFor } from '../helpers/processes.js';
import { jobFolder } from '../helpers/job-fixtures.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// The Azure ML Python SDK v2 inside a Hangar job, with no setup: the job's environment alone
// (AZUREML_ARM_*, AZUREML_RUN_ID, AZUREML_DEV_URL_MFE, REQUESTS_CA_BUNDLE, IDENTITY_*) points an
// unchanged MLClient(DefaultAzureCredential(), …) at the server, as on Azure compute.

const sdkInstalled = existsSync('/usr/lib/python3/dist-packages/azure/ai/ml/__init__.py');
const pydashDir = join(repoRoot, 'test', 'azureml-sdk', 'pydash');

/** Only the public SDK; each check prints one line the test reads back from the job's log. */
const SCRIPT = `
import os
from azure.ai.ml import MLClient
from azure.core.exceptions import HttpResponseError
from azure.identity import DefaultAzureCredential

env = os.environ
sub, rg, ws = env["AZUREML_ARM_SUBSCRIPTION"], env["AZUREML_ARM_RESOURCEGROUP"], env["AZUREML_ARM_WORKSPACE_NAME"]
print("base", env["AZUREML_DEV_URL_MFE"], "bundle", env["REQUESTS_CA_BUNDLE"], flush=True)
ml_client = MLClient(DefaultAzureCredential(), sub, rg, ws)
other = MLClient(DefaultAzureCredential(), sub, rg, "other")

def check(label, call):
    try:
        print(label, "ok", call(), flush=True)
    except HttpResponseError as e:
        print(label, "refused", e.status_code, flush=True)

me = ml_client.jobs.get(env["AZUREML_RUN_ID"])
print("own job", me.name, me.status, me.compute, flush=True)
check("computes", lambda: ",".join(sorted(c.name for c in ml_client.compute.list())))
check("delete compute", lambda: ml_client.compute.begin_delete("plain"))
check("other workspace", lambda: other.jobs.get(env["AZUREML_RUN_ID"]).name)
`;

const files: Record<string, string> = {
  'in_job.py': SCRIPT,
  ...Object.fromEntries(
    readdirSync(pydashDir)
      .filter((f) => f.endsWith('.py'))
      .map((f) => [`pydash/${f}`, readFileSync(join(pydashDir, f), 'utf8')]),
  ),
};

/** A compute instance's startup script: the same unchanged SDK in the owner's session environment. */
const INSTANCE_SCRIPT = `cat > "$HOME/sdk_check.py" <<'PY'
import os, requests
from azure.ai.ml import MLClient
from azure.identity import DefaultAzureCredential

env = os.environ
sub, rg, ws = env["AZUREML_ARM_SUBSCRIPTION"], env["AZUREML_ARM_RESOURCEGROUP"], env["AZUREML_ARM_WORKSPACE_NAME"]
ml_client = MLClient(DefaultAzureCredential(), sub, rg, ws)
names = ",".join(sorted(c.name for c in ml_client.compute.list()))
print("instance sees", ml_client.compute.get("sdk-dev").name, "among", names, flush=True)
url = env["AZUREML_DEV_URL_MFE"] + "/subscriptions/" + sub + "/resourceGroups/" + rg
url += "/providers/Microsoft.MachineLearningServices/workspaces/" + ws + "/computes?api-version=2022-10-01-preview"
bearer = requests.get(url, headers={"Authorization": "Bearer " + env["IDENTITY_HEADER"]})
print("instance credential as a bearer", bearer.status_code, flush=True)
PY
PYTHONPATH=${join(repoRoot, 'test', 'azureml-sdk')} PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 "$HOME/sdk_check.py"
`;

let server: ServerProcess;

async function createCompute(name: string, identity?: string): Promise<void> {
  const r = await api(server.url, 'PUT', `/api/workspaces/default/computes/${name}`, {
    ...(identity ? { identity: { type: 'UserAssigned', userAssignedIdentities: { [identity]: {} } } } : {}),
    properties: {
      computeType: 'AmlCompute',
      properties: { vmSize: 'STANDARD_D2_V2', scaleSettings: { minNodeCount: 0, maxNodeCount: 1 } },
    },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

/** Runs the script as a job on `compute` and answers what it printed (its std_log), streamed by the CLI. */
async function runInJob(name: string, compute: string): Promise<string> {
  const spec = { command: 'python in_job.py', compute, environment: 'azureml:AzureML-sklearn-1.5@latest' };
  const r = await runCli(['job', 'create', '-f', jobFolder(spec, files), '--name', name, '--stream'], {
    url: server.url,
  });
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
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
      environmentAliases: [{ match: 'AzureML-sklearn-1.5', python: '/usr/bin/python3' }],
    },
  });
  expect((await api(server.url, 'PUT', '/api/workspaces/other', { location: 'local' })).status).toBe(201);
  await createCompute('with-id', '/identities/sdk-reader');
  await createCompute('plain');
  const role = await api(server.url, 'POST', '/api/roleAssignments', {
    principalId: '/identities/sdk-reader',
    roleName: 'Reader',
    scope: '/workspaces/default',
  });
  expect(role.status, JSON.stringify(role.body)).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('the Azure ML SDK v2 inside a job, with no setup', () => {
  it("acts as its compute's managed identity, or else with the job's own token, and reaches nothing more", async () => {
    const [withId, plain] = await Promise.all([
      runInJob('sdk-in-job-id', 'with-id'),
      runInJob('sdk-in-job-plain', 'plain'),
    ]);
    const ca = readFileSync(join(server.home, 'tls', 'hangar-ca.pem'), 'utf8').trim();
    for (const [name, out] of [
      ['sdk-in-job-id', withId],
      ['sdk-in-job-plain', plain],
    ] as const) {
      // HTTPS (the SDK sends no bearer over http) and a bundle in the attempt's own folder (the sandbox
      // hides the server's), holding the system's CAs and the server's.
      const [, base, bundle = ''] = /^base (\S+) bundle (\S+)$/m.exec(out) ?? [];
      expect(base, out).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(bundle, out).toMatch(new RegExp(`/jobs/default~${name}/1/ca-bundle\\.pem$`));
      const text = readFileSync(bundle, 'utf8');
      expect(text).toContain(ca);
      expect(text.match(/BEGIN CERTIFICATE/g)?.length ?? 0).toBeGreaterThan(1);
    }
    // The compute's identity holds Reader on the workspace: it reads its own job and the computes...
    expect(withId).toContain('own job sdk-in-job-id Running with-id');
    expect(withId).toContain('computes ok plain,with-id');
    // ...but may not delete one, nor read another workspace.
    expect(withId).toContain('delete compute refused 403');
    expect(withId).toContain('other workspace refused 403');
    // No identity on the compute: the job's own token reads its own job and nothing else.
    expect(plain).toContain('own job sdk-in-job-plain Running plain');
    expect(plain).toContain('computes refused 403');
    expect(plain).toContain('delete compute refused 403');
    expect(plain).toContain('other workspace refused 403');
    const computes = await api(server.url, 'GET', '/api/workspaces/default/computes/plain');
    expect(computes.status).toBe(200);
  }, 150_000);
});

describe('the Azure ML SDK v2 in a compute instance, with no setup', () => {
  it("acts as the instance's owner; the instance's credential is no bearer token itself", async () => {
    const made = await api(server.url, 'PUT', '/api/workspaces/default/computes/sdk-dev', {
      properties: {
        computeType: 'ComputeInstance',
        properties: {
          vmSize: 'Standard_DS1_v2',
          setupScripts: {
            scripts: {
              startupScript: {
                scriptSource: 'inline',
                scriptData: Buffer.from(INSTANCE_SCRIPT).toString('base64'),
              },
            },
          },
        },
      },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const setup = await waitFor(
      async () => {
        const p = (await api(server.url, 'GET', '/api/workspaces/default/computes/sdk-dev')).body.properties
          .properties;
        return p.setup?.phase === 'succeeded' || p.setup?.phase === 'failed' ? p.setup : undefined;
      },
      'the instance setup to end',
      90_000,
      200,
    );
    expect(setup.phase, setup.log).toBe('succeeded');
    // The owner (admin, who created it) reads every compute of the workspace...
    expect(setup.log).toContain('instance sees sdk-dev among plain,sdk-dev,with-id');
    // ...through the identity endpoint only: the credential itself opens no route.
    expect(setup.log).toContain('instance credential as a bearer 401');
  }, 120_000);
});
