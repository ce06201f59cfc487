import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const strip = (c: any) => ({ ...c, properties: { ...c.properties, provisioningState: undefined } });

describe('persistence', () => {
  it('keeps every workspace, compute, secret and lock across a SIGKILL and restart', async () => {
    server = await startServerProcess({ config: { reconcileIntervalMs: 100 } });
    const home = server.home;
    await api(server.url, 'PUT', '/api/workspaces/research', { location: 'local', tags: { owner: 'ml' } });
    const bodies: [string, string, unknown][] = [
      [
        'default',
        'cpu-cluster',
        {
          tags: { a: 'b' },
          properties: {
            computeType: 'AmlCompute',
            description: 'd',
            properties: {
              vmSize: 'Standard_D2_v2',
              scaleSettings: { minNodeCount: 0, maxNodeCount: 3, nodeIdleTimeBeforeScaleDown: 'PT60S' },
            },
          },
        },
      ],
      [
        'research',
        'vm-one',
        {
          properties: {
            computeType: 'VirtualMachine',
            properties: {
              address: '127.0.0.1',
              sshPort: 1,
              administratorAccount: { username: 'u', password: 'pw-123' },
            },
          },
        },
      ],
      [
        'research',
        'inf-aks',
        {
          properties: {
            computeType: 'AKS',
            properties: { agentCount: 4, agentVmSize: 'Standard_D3_v2', clusterPurpose: 'FastProd' },
          },
        },
      ],
    ];
    for (const [ws, name, body] of bodies)
      expect((await api(server.url, 'PUT', `/api/workspaces/${ws}/computes/${name}`, body)).status).toBe(201);
    await api(server.url, 'PUT', '/api/workspaces/research/locks/hold', { level: 'CanNotDelete' });
    await waitFor(
      async () =>
        (await api(server!.url, 'GET', '/api/workspaces/default/computes/cpu-cluster')).body.properties
          .provisioningState === 'Succeeded',
      'Succeeded',
    );
    const before = await Promise.all(
      bodies.map(
        async ([ws, name]) => (await api(server!.url, 'GET', `/api/workspaces/${ws}/computes/${name}`)).body,
      ),
    );
    await server.kill9();

    server = await startServerProcess({ home, config: { reconcileIntervalMs: 100 } });
    const after = await Promise.all(
      bodies.map(
        async ([ws, name]) => (await api(server!.url, 'GET', `/api/workspaces/${ws}/computes/${name}`)).body,
      ),
    );
    expect(after.map(strip)).toEqual(before.map(strip));
    expect(
      (await api(server.url, 'POST', '/api/workspaces/research/computes/vm-one/listKeys')).body.secrets,
    ).toMatchObject({ 'administratorAccount.password': 'pw-123' });
    expect((await api(server.url, 'GET', '/api/workspaces/research')).body.properties.tags).toEqual({
      owner: 'ml',
    });
    expect((await api(server.url, 'DELETE', '/api/workspaces/research/computes/vm-one')).status).toBe(409);
  });

  it('creates and deletes recorded just before a SIGKILL complete after the restart', async () => {
    server = await startServerProcess({ config: { reconcileIntervalMs: 60_000 } });
    const home = server.home;
    const cluster = { properties: { computeType: 'AmlCompute', properties: { vmSize: 'Standard_D2_v2' } } };
    await api(server.url, 'PUT', '/api/workspaces/default/computes/half-made', cluster);
    await api(server.url, 'PUT', '/api/workspaces/default/computes/to-remove', cluster);
    // The first loop pass runs at start; make both exist, then leave a delete pending.
    await waitFor(
      async () =>
        (await api(server!.url, 'GET', '/api/workspaces/default/computes/to-remove')).status === 200,
      'to exist',
    );
    await api(server.url, 'DELETE', '/api/workspaces/default/computes/to-remove');
    await server.kill9();
    server = await startServerProcess({ home, config: { reconcileIntervalMs: 100 } });
    await waitFor(
      async () =>
        (await api(server!.url, 'GET', '/api/workspaces/default/computes/half-made')).body.properties
          .provisioningState === 'Succeeded',
      'create to finish',
    );
    await waitFor(
      async () =>
        (await api(server!.url, 'GET', '/api/workspaces/default/computes/to-remove')).status === 404,
      'delete to finish',
    );
  });
});
