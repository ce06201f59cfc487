import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const ws = '/api/workspaces/default/computes';
const cluster = (extra: Record<string, unknown> = {}, location?: string) => ({
  ...(location ? { location } : {}),
  properties: {
    computeType: 'AmlCompute',
    properties: {
      vmSize: 'STANDARD_D3_V2',
      vmPriority: 'LowPriority',
      scaleSettings: { minNodeCount: 0, maxNodeCount: 4, nodeIdleTimeBeforeScaleDown: 'PT120S' },
      ...extra,
    },
  },
});
const expectError = (r: { status: number; body: any }, status: number, code: string) => {
  expect(r.status).toBe(status);
  expect(Object.keys(r.body)).toEqual(['error']);
  expect(r.body.error.code).toBe(code);
  expect(typeof r.body.error.message).toBe('string');
};

beforeAll(async () => {
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 100,
      locations: [
        { name: 'local', quota: { dedicatedCoresPerFamily: { standardNCFamily: 6 }, lowPriorityCores: 64 } },
        { name: 'lab', quota: { defaultDedicatedCoresPerFamily: 16 } },
      ],
    },
  });
}, 60_000);
afterAll(() => server.stop());

describe('compute API over HTTP (real server process)', () => {
  it('has a default workspace and can hold several', async () => {
    expect((await api(server.url, 'GET', '/api/workspaces/default')).body).toMatchObject({
      name: 'default',
      location: 'local',
    });
    expect(
      (await api(server.url, 'PUT', '/api/workspaces/team-b', { location: 'local' })).status,
    ).toBeLessThan(300);
    expect(
      (await api(server.url, 'GET', '/api/workspaces')).body.value
        .map((w: { name: string }) => w.name)
        .sort(),
    ).toEqual(['default', 'team-b']);
  });

  it('creates a cluster: Creating → Succeeded, fields as Azure names them', async () => {
    const put = await api(server.url, 'PUT', `${ws}/cpu-cluster`, cluster());
    expect(put.status).toBe(201);
    expect(put.body.properties).toMatchObject({
      computeType: 'AmlCompute',
      computeLocation: 'local',
      provisioningState: 'Creating',
    });
    await waitFor(
      async () =>
        (await api(server.url, 'GET', `${ws}/cpu-cluster`)).body.properties.provisioningState === 'Succeeded',
      'Succeeded',
    );
    const got = (await api(server.url, 'GET', `${ws}/cpu-cluster`)).body;
    expect(got.properties.properties).toMatchObject({
      vmSize: 'STANDARD_D3_V2',
      vmPriority: 'LowPriority',
      vmType: 'CPU',
      scaleSettings: { minNodeCount: 0, maxNodeCount: 4, nodeIdleTimeBeforeScaleDown: 'PT120S' },
    });
    expect(got.properties.provisioningErrors ?? []).toEqual([]);
  });

  it('names are unique per location across workspaces (409 naming the clash), case-insensitively', async () => {
    const clash = await api(server.url, 'PUT', '/api/workspaces/team-b/computes/CPU-Cluster', cluster());
    expectError(clash, 409, 'NameConflict');
    expect(clash.body.error.message).toContain('cpu-cluster');
    expect(
      (await api(server.url, 'PUT', '/api/workspaces/team-b/computes/cpu-cluster', cluster({}, 'lab')))
        .status,
    ).toBe(201);
  });

  it('a cluster in another location carries a warning; an instance there is refused', async () => {
    const other = await api(server.url, 'PUT', `${ws}/far-cluster`, cluster({}, 'lab'));
    expect(other.status).toBe(201);
    expect(other.body.warnings.join(' ')).toMatch(/latency.*data-transfer cost/);
    const inst = await api(server.url, 'PUT', `${ws}/far-box`, {
      location: 'lab',
      properties: { computeType: 'ComputeInstance', properties: { vmSize: 'Standard_DS3_v2' } },
    });
    expectError(inst, 400, 'LocationNotAllowed');
    const unknown = await api(server.url, 'PUT', `${ws}/nowhere`, cluster({}, 'mars'));
    expectError(unknown, 400, 'UnknownLocation');
    expect(unknown.body.error.message).toContain('lab');
  });

  it('validation errors name field, rule and value, all at once', async () => {
    const r = await api(
      server.url,
      'PUT',
      `${ws}/gpu-1`,
      cluster({ vmSize: 'Standard_Bogus', scaleSettings: { minNodeCount: 5, maxNodeCount: 2 } }),
    );
    expect(r.status).toBe(400);
    const text = JSON.stringify(r.body.error);
    expect(text).toContain('gpu-1');
    expect(text).toContain('Standard_Bogus');
    expect(text).toContain('minNodeCount');
  });

  it('immutable fields refuse changes (400) while scale settings, description and tags change', async () => {
    const bad = await api(server.url, 'PATCH', `${ws}/cpu-cluster`, {
      properties: { properties: { vmSize: 'STANDARD_D4_V2' } },
    });
    expectError(bad, 400, 'ImmutableField');
    expect(bad.body.error.message).toContain('vmSize');
    const ok = await api(server.url, 'PATCH', `${ws}/cpu-cluster`, {
      tags: { team: 'ml' },
      properties: { description: 'bigger', properties: { scaleSettings: { maxNodeCount: 8 } } },
    });
    expect(ok.status).toBe(200);
    await waitFor(
      async () =>
        (await api(server.url, 'GET', `${ws}/cpu-cluster`)).body.properties.provisioningState === 'Succeeded',
      'update',
    );
    const got = (await api(server.url, 'GET', `${ws}/cpu-cluster`)).body;
    expect(got.properties.properties.scaleSettings.maxNodeCount).toBe(8);
    expect(got.properties.description).toBe('bigger');
  });

  it('quota: a request beyond the family limit is 422 naming family, usage, limit and request', async () => {
    const r = await api(server.url, 'PUT', `${ws}/gpu-box`, {
      properties: { computeType: 'ComputeInstance', properties: { vmSize: 'Standard_NC12' } },
    });
    expectError(r, 422, 'QuotaExceeded');
    expect(r.body.error.message).toMatch(/standardNCFamily/);
    expect(r.body.error.message).toMatch(/6/);
    expect(r.body.error.message).toMatch(/12/);
  });

  it('attached machines keep secrets encrypted: never returned by reads, returned by listKeys', async () => {
    const put = await api(server.url, 'PUT', `${ws}/gpu-vm`, {
      properties: {
        computeType: 'VirtualMachine',
        properties: {
          address: '127.0.0.1',
          sshPort: 1,
          administratorAccount: { username: 'azureuser', password: 's3cret-pass' },
        },
      },
    });
    expect(put.status).toBe(201);
    const reads = [
      put.body,
      (await api(server.url, 'GET', `${ws}/gpu-vm`)).body,
      (await api(server.url, 'GET', ws)).body,
    ];
    for (const body of reads) expect(JSON.stringify(body)).not.toContain('s3cret-pass');
    const keys = await api(server.url, 'POST', `${ws}/gpu-vm/listKeys`);
    expect(JSON.stringify(keys.body)).toContain('s3cret-pass');
    const both = await api(server.url, 'PUT', `${ws}/vm-both`, {
      properties: {
        computeType: 'VirtualMachine',
        properties: {
          address: '127.0.0.1',
          sshPort: 1,
          administratorAccount: { username: 'u', password: 'p', privateKeyData: 'k' },
        },
      },
    });
    expect(both.status).toBe(400);
  });

  it('every kind can be created or attached and listed by type', async () => {
    const kinds: [string, Record<string, unknown>][] = [
      [
        'inf-aks',
        {
          computeType: 'AKS',
          properties: { agentCount: 3, agentVmSize: 'Standard_D3_v2', clusterPurpose: 'FastProd' },
        },
      ],
      ['inf-k8s', { computeType: 'Kubernetes', properties: { namespace: 'ml' } }],
      [
        'hdi',
        {
          computeType: 'HDInsight',
          properties: { address: 'hdi.example.com', administratorAccount: { username: 'a', password: 'b' } },
        },
      ],
      [
        'dbx',
        {
          computeType: 'Databricks',
          properties: { workspaceUrl: 'https://adb.example.net', databricksAccessToken: 't' },
        },
      ],
      ['adla', { computeType: 'DataLakeAnalytics', properties: { dataLakeStoreAccountName: 'lake' } }],
      ['slurm-a', { computeType: 'Slurm', properties: { partition: 'debug' } }],
    ];
    for (const [name, properties] of kinds) {
      const r = await api(server.url, 'PUT', `${ws}/${name}`, { properties });
      expect(r.status, `${name}: ${JSON.stringify(r.body)}`).toBe(201);
    }
    const aks = (await api(server.url, 'GET', `${ws}?computeType=AKS`)).body.value;
    expect(aks.map((c: { name: string }) => c.name)).toEqual(['inf-aks']);
    const small = await api(server.url, 'PUT', `${ws}/inf-small`, {
      properties: {
        computeType: 'AKS',
        properties: { agentCount: 1, agentVmSize: 'Standard_D3_v2', clusterPurpose: 'FastProd' },
      },
    });
    expect(small.status).toBe(400);
    expect(JSON.stringify(small.body)).toContain('12');
  });

  it('lists page with $top and nextLink, visiting every compute once', async () => {
    const seen: string[] = [];
    let next: string | undefined = `${ws}?$top=3`;
    while (next) {
      const page: { status: number; body: any } = await api(server.url, 'GET', next.replace(server.url, ''));
      expect(page.body.value.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.value.map((c: { name: string }) => c.name));
      next = page.body.nextLink;
    }
    const all = (await api(server.url, 'GET', `${ws}?$top=1000`)).body.value.map(
      (c: { name: string }) => c.name,
    );
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(6);
  });

  it('workspace locks block deletes (CanNotDelete) and updates (ReadOnly), naming the lock', async () => {
    await api(server.url, 'PUT', '/api/workspaces/default/locks/keep-it', { level: 'CanNotDelete' });
    const del = await api(server.url, 'DELETE', `${ws}/adla`);
    expectError(del, 409, 'ScopeLocked');
    expect(del.body.error.message).toContain('keep-it');
    await api(server.url, 'PUT', '/api/workspaces/default/locks/freeze', { level: 'ReadOnly' });
    const upd = await api(server.url, 'PATCH', `${ws}/cpu-cluster`, { tags: { x: 'y' } });
    expectError(upd, 409, 'ScopeLocked');
    expect(upd.body.error.message).toContain('freeze');
    await api(server.url, 'DELETE', '/api/workspaces/default/locks/freeze');
    await api(server.url, 'DELETE', '/api/workspaces/default/locks/keep-it');
    expect((await api(server.url, 'DELETE', `${ws}/adla`)).status).toBeLessThan(300);
  });

  it('power actions answer clearly; unknown things are 404 in the one error shape', async () => {
    expectError(await api(server.url, 'POST', `${ws}/cpu-cluster/start`), 400, 'OperationNotSupported');
    expectError(await api(server.url, 'GET', `${ws}/nope`), 404, 'NotFound');
    expectError(await api(server.url, 'GET', '/api/nothing-here'), 404, 'RouteNotFound');
    expectError(await api(server.url, 'PUT', `${ws}/x-json`, '{not json'), 400, 'InvalidJson');
  });

  it('detach removes an attached compute; delete removes a cluster', async () => {
    expect(
      (await api(server.url, 'DELETE', `${ws}/gpu-vm?underlyingResourceAction=Detach`)).status,
    ).toBeLessThan(300);
    expect((await api(server.url, 'DELETE', `${ws}/far-cluster`)).status).toBeLessThan(300);
    await waitFor(
      async () =>
        (await api(server.url, 'GET', `${ws}/gpu-vm`)).status === 404 &&
        (await api(server.url, 'GET', `${ws}/far-cluster`)).status === 404,
      'removal',
    );
  });
});
