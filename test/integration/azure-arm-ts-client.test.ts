import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import {
  AzureMachineLearningWorkspaces,
  type CommandJob,
  type JobInput,
  type ComputeResource,
} from '@azure/arm-machinelearning';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import {
  adminToken,
  api,
  serverFetch,
  startServerProcess,
  type ServerProcess,
} from '../helpers/server-process.js';

// The official TypeScript client (@azure/arm-machinelearning), unchanged, against a real server over
// TLS: its pipeline (bearer policy, LRO poller, pager, error mapping) drives Hangar's ARM routes.

type Credential = ConstructorParameters<typeof AzureMachineLearningWorkspaces>[0];
type AccessToken = NonNullable<Awaited<ReturnType<Credential['getToken']>>>;

const SUB = 'sub-ts';
const RG = 'rg-ts';
const WS = 'default';
const ENVIRONMENT = 'azureml:AzureML-sklearn-1.5@latest';

let server: ServerProcess;
let tlsUrl = '';
let ca = '';

/**
 * A TokenCredential as an App Service managed identity would be: the identity endpoint, given a Hangar
 * token, mints an access token for the asked resource. It records the scopes the client asked for.
 */
class HangarIdentityCredential {
  readonly scopes: string[] = [];
  constructor(private readonly hangarToken: string) {}
  async getToken(scopes: string | string[]): Promise<AccessToken> {
    this.scopes.push(...(Array.isArray(scopes) ? scopes : [scopes]));
    const url = `${server.url}/msi/token?api-version=2019-08-01&resource=${encodeURIComponent('https://management.azure.com/')}`;
    const res = await fetch(url, { headers: { 'X-IDENTITY-HEADER': this.hangarToken } });
    if (res.status !== 200) throw new Error(`identity endpoint: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { access_token: string; expires_on: string };
    return { token: body.access_token, expiresOnTimestamp: Number(body.expires_on) * 1000 };
  }
}

function client(credential: Credential): AzureMachineLearningWorkspaces {
  return new AzureMachineLearningWorkspaces(credential, SUB, {
    endpoint: tlsUrl,
    // Hangar's own CA, trusted by this client only (the process keeps its default trust).
    tlsOptions: { ca },
    retryOptions: { maxRetries: 0 },
  });
}

/** What the client throws for an error response: a RestError with the status and the ARM error's code. */
async function restError(p: Promise<unknown>): Promise<{ name: string; statusCode?: number; code?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { name: string; statusCode?: number; code?: string };
  }
  throw new Error('expected the call to fail');
}

/** A PUT of one block blob over TLS (what the storage SDK does for a small file), trusting Hangar's CA. */
function uploadBlob(url: string, text: string, token: AccessToken): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PUT',
        ca,
        headers: {
          authorization: `Bearer ${token.token}`,
          'x-ms-blob-type': 'BlockBlob',
          'content-type': 'text/x-python',
          'content-length': Buffer.byteLength(text),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

beforeAll(async () => {
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300 },
      environmentAliases: [{ match: 'AzureML-sklearn-1.5', python: '/usr/bin/python3' }],
    },
  });
  const info = JSON.parse(readFileSync(join(server.home, 'server.json'), 'utf8')) as { tlsUrl?: string };
  tlsUrl = info.tlsUrl ?? '';
  expect(tlsUrl).toMatch(/^https:\/\//);
  ca = readFileSync(join(server.home, 'tls', 'hangar-ca.pem'), 'utf8');
});

afterAll(async () => {
  await server?.stop();
});

describe('@azure/arm-machinelearning against Hangar over TLS', () => {
  let admin: HangarIdentityCredential;
  let ml: AzureMachineLearningWorkspaces;
  beforeAll(() => {
    admin = new HangarIdentityCredential(adminToken(server.url) ?? '');
    ml = client(admin);
  });

  it('computes: beginCreateOrUpdateAndWait (AmlCompute 0..1), get, list, listNodes, beginDeleteAndWait', async () => {
    const parameters: ComputeResource = {
      location: 'local',
      properties: {
        computeType: 'AmlCompute',
        properties: {
          vmSize: 'STANDARD_DS3_v2',
          scaleSettings: { minNodeCount: 0, maxNodeCount: 1, nodeIdleTimeBeforeScaleDown: 'PT120S' },
        },
      },
    };
    const created = await ml.computeOperations.beginCreateOrUpdateAndWait(RG, WS, 'ts-scratch', parameters, {
      updateIntervalInMs: 200,
    });
    expect(created.name).toBe('ts-scratch');
    expect(created.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}/computes/ts-scratch`,
    );
    expect(created.properties?.computeType).toBe('AmlCompute');
    expect(created.properties?.provisioningState).toBe('Succeeded');

    const got = await ml.computeOperations.get(RG, WS, 'ts-scratch');
    expect(got.properties?.computeType).toBe('AmlCompute');
    const scale = (got.properties as { properties?: { scaleSettings?: Record<string, unknown> } }).properties
      ?.scaleSettings;
    expect(scale).toMatchObject({ minNodeCount: 0, maxNodeCount: 1 });

    const names = (await collect(ml.computeOperations.list(RG, WS))).map((c) => c.name);
    expect(names).toContain('ts-scratch');
    // min 0 and nothing queued: no nodes, listed through the pager all the same.
    expect(await collect(ml.computeOperations.listNodes(RG, WS, 'ts-scratch'))).toEqual([]);

    await ml.computeOperations.beginDeleteAndWait(RG, WS, 'ts-scratch', 'Delete', {
      updateIntervalInMs: 200,
    });
    const gone = await restError(ml.computeOperations.get(RG, WS, 'ts-scratch'));
    expect(gone).toMatchObject({ name: 'RestError', statusCode: 404, code: 'NotFound' });
  });

  it('jobs: createOrUpdate of a command job on a cluster, get until Completed, list, beginCancel of a long one', async () => {
    await ml.computeOperations.beginCreateOrUpdateAndWait(
      RG,
      WS,
      'ts-cluster',
      {
        properties: {
          computeType: 'AmlCompute',
          properties: { vmSize: 'STANDARD_DS3_v2', scaleSettings: { minNodeCount: 0, maxNodeCount: 1 } },
        },
      },
      { updateIntervalInMs: 200 },
    );
    const computeId = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}/computes/ts-cluster`;
    const command = (cmd: string, displayName: string): CommandJob => ({
      jobType: 'Command',
      command: cmd,
      environmentId: ENVIRONMENT,
      computeId,
      displayName,
      experimentName: 'ts-client',
      environmentVariables: { GREETING: 'from-ts' },
    });

    // A code asset as the Python SDK makes one: files uploaded to the workspace's blobstore, then a
    // code version naming the folder.
    const store = await ml.datastores.get(RG, WS, 'workspaceblobstore');
    const container = (store.properties as { containerName: string }).containerName;
    const folder = `${tlsUrl}/hangarblob/${container}/LocalUpload/ts-client/src`;
    const script = 'import os, sys\nprint("greeting", os.environ["GREETING"], sys.argv[1])\n';
    expect(await uploadBlob(`${folder}/train.py`, script, await admin.getToken([]))).toBe(201);
    const code = await ml.codeVersions.createOrUpdate(RG, WS, 'ts-code', '1', {
      properties: { codeUri: folder },
    });
    expect(code.properties.codeUri).toBe(folder);

    const submitted = await ml.jobs.createOrUpdate(RG, WS, 'ts-hello', {
      properties: {
        ...command('python3 train.py ${{inputs.n}}', 'hello'),
        codeId: code.id,
        inputs: { n: { jobInputType: 'literal', value: '7' } as JobInput },
      },
    });
    expect(submitted.name).toBe('ts-hello');
    expect(submitted.properties.jobType).toBe('Command');
    expect((submitted.properties as CommandJob).command).toBe('python3 train.py ${{inputs.n}}');

    const long = await ml.jobs.createOrUpdate(RG, WS, 'ts-long', {
      properties: command('sleep 600', 'long'),
    });
    expect(long.properties.status).not.toBe('Completed');

    const done = await waitFor(
      async () => {
        const j = await ml.jobs.get(RG, WS, 'ts-hello');
        return ['Completed', 'Failed', 'Canceled'].includes(j.properties.status ?? '') ? j : undefined;
      },
      'ts-hello to finish',
      50_000,
      300,
    );
    expect(done.properties.status).toBe('Completed');
    expect((done.properties as CommandJob).computeId).toBe(computeId);
    expect(done.properties.experimentName).toBe('ts-client');
    const log = await serverFetch(`${server.url}/api/workspaces/${WS}/jobs/ts-hello/logs`);
    expect(await log.text()).toContain('greeting from-ts 7');

    const listed = await collect(ml.jobs.list(RG, WS, { listViewType: 'All' }));
    expect(listed.map((j) => j.name)).toEqual(expect.arrayContaining(['ts-hello', 'ts-long']));
    expect(listed.every((j) => j.properties.jobType === 'Command')).toBe(true);

    // The cluster's one node runs the long job.
    await waitFor(
      async () => (await ml.jobs.get(RG, WS, 'ts-long')).properties.status === 'Running',
      'ts-long to run',
      30_000,
      300,
    );
    const nodes = await collect(ml.computeOperations.listNodes(RG, WS, 'ts-cluster'));
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ nodeState: 'running', runId: 'ts-long' });

    // The poller follows the cancel's Location until the job has stopped.
    await ml.jobs.beginCancelAndWait(RG, WS, 'ts-long', { updateIntervalInMs: 200 });
    expect((await ml.jobs.get(RG, WS, 'ts-long')).properties.status).toBe('Canceled');
  });

  it('a missing resource is a RestError with status 404 and the catalogue code; bad input names the field', async () => {
    const job = await restError(ml.jobs.get(RG, WS, 'absent-job'));
    expect(job).toMatchObject({ name: 'RestError', statusCode: 404, code: 'NotFound' });
    const compute = await restError(ml.computeOperations.get(RG, WS, 'absent-compute'));
    expect(compute).toMatchObject({ name: 'RestError', statusCode: 404, code: 'NotFound' });
    const noCommand = await restError(
      ml.jobs.createOrUpdate(RG, WS, 'ts-bad', {
        properties: { jobType: 'Command', command: '', environmentId: ENVIRONMENT },
      }),
    );
    expect(noCommand).toMatchObject({ name: 'RestError', statusCode: 400, code: 'ValidationFailed' });
    expect(String((noCommand as { message?: string }).message)).toContain('properties.command');
  });

  it('asked for the ARM audience of its endpoint, and sent a token the server accepted', () => {
    expect(admin.scopes.length).toBeGreaterThan(0);
    expect(new Set(admin.scopes)).toEqual(new Set([`${tlsUrl}/.default`]));
  });
});

describe('authorization through the client', () => {
  it('a user with no role gets 403 (AuthorizationFailed) on reads and writes', async () => {
    const made = await api(server.url, 'POST', '/api/users', { name: 'nobody' });
    expect(made.status).toBe(201);
    const t = await api(server.url, 'POST', '/api/users/nobody/tokens', { name: 't', expiresInDays: 1 });
    const ml = client(new HangarIdentityCredential(t.body.token));
    const read = await restError(collect(ml.computeOperations.list(RG, WS)));
    expect(read).toMatchObject({ name: 'RestError', statusCode: 403, code: 'AuthorizationFailed' });
    const write = await restError(
      ml.jobs.createOrUpdate(RG, WS, 'ts-denied', {
        properties: { jobType: 'Command', command: 'echo', environmentId: ENVIRONMENT },
      }),
    );
    expect(write).toMatchObject({ name: 'RestError', statusCode: 403, code: 'AuthorizationFailed' });
    expect((await api(server.url, 'GET', `/api/workspaces/${WS}/jobs/ts-denied`)).status).toBe(404);
    // The cancel's Location: read access to jobs, and the job must exist.
    const armJobs = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.MachineLearningServices/workspaces/${WS}/jobs`;
    const poll = await api(server.url, 'GET', `${armJobs}/ts-long/cancelOperation`, undefined, t.body.token);
    expect(poll.status).toBe(403);
    expect(poll.body.error.code).toBe('AuthorizationFailed');
    const absent = await api(server.url, 'GET', `${armJobs}/absent-job/cancelOperation`);
    expect(absent.status).toBe(404);
    expect(absent.body.error.code).toBe('NotFound');
  });
});
