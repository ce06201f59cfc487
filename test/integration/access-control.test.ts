import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allRoutes } from '../../src/server/http/app.js';
import { jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { adminToken, api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};
const ML = 'Microsoft.MachineLearningServices/workspaces/';

/** A user with a token (made through the API as the admin). */
async function user(name: string, password?: string): Promise<void> {
  const made = await api(server.url, 'POST', '/api/users', { name, ...(password ? { password } : {}) });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  ids[name] = made.body.id;
  const t = await api(server.url, 'POST', `/api/users/${name}/tokens`, { name: 'test', expiresInDays: 1 });
  expect(t.status).toBe(201);
  tokens[name] = t.body.token;
}

const assign = async (principalId: string, roleName: string, scope: string) => {
  const r = await api(server.url, 'POST', '/api/roleAssignments', { principalId, roleName, scope });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
};

beforeAll(async () => {
  server = await startServerProcess({
    env: { HANGAR_TEST_CLOCK: '1' },
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
  expect((await api(server.url, 'PUT', '/api/workspaces/authz', { location: 'local' })).status).toBeLessThan(
    300,
  );
  await api(server.url, 'PUT', '/api/roleDefinitions/Compute operator', {
    description: 'power verbs on computes, no secrets',
    actions: [`${ML}computes/read`, `${ML}computes/*/action`],
    notActions: ['*/listKeys/action'],
  });
  for (const [name, role] of [
    ['olga', 'Owner'],
    ['carl', 'Contributor'],
    ['rita', 'Reader'],
    ['cora', 'Compute operator'],
  ] as const) {
    await user(name);
    await assign(name, role, '/workspaces/authz');
  }
}, 60_000);

afterAll(async () => {
  await server.stop();
});

describe('identity', () => {
  it('wrote the bootstrap admin once to a 0600 file; login sets an HttpOnly, SameSite session cookie', async () => {
    const file = join(server.home, 'admin-credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const creds = JSON.parse(readFileSync(file, 'utf8')) as { user: string; password: string; token: string };
    expect(creds.user).toBe('admin');
    expect(server.output()).not.toContain(creds.password);
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', password: creds.password }),
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^hangar_session=hgs_[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    const me = await fetch(`${server.url}/api/auth/me`, { headers: { cookie: cookie.split(';')[0] ?? '' } });
    expect(((await me.json()) as any).principal).toMatchObject({ kind: 'user', name: 'admin' });
    const wrong = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'admin', password: 'not-it' }),
    });
    expect(wrong.status).toBe(401);
  });

  it('refuses calls without credentials with 401 (health stays public)', async () => {
    const anon = await fetch(`${server.url}/api/workspaces/default/computes`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as any).error.code).toBe('Unauthenticated');
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    expect(
      (await api(server.url, 'GET', '/api/workspaces/default/computes', undefined, 'hgr_forged')).status,
    ).toBe(401);
  });

  it('expires and revokes tokens', async () => {
    const made = await api(
      server.url,
      'POST',
      '/api/auth/tokens',
      { name: 'short', expiresInDays: 1 },
      tokens.rita,
    );
    expect(made.status).toBe(201);
    const short = made.body.token as string;
    expect((await api(server.url, 'GET', '/api/workspaces/authz/computes', undefined, short)).status).toBe(
      200,
    );
    const listed = await api(server.url, 'GET', '/api/auth/tokens', undefined, tokens.rita);
    expect(JSON.stringify(listed.body)).not.toContain(short);
    const revoke = await runCli(['token', 'revoke', '--id', made.body.id], {
      url: server.url,
      env: { HANGAR_TOKEN: tokens.rita ?? '' },
    });
    expect(revoke.code, revoke.stderr).toBe(0);
    expect((await api(server.url, 'GET', '/api/workspaces/authz/computes', undefined, short)).status).toBe(
      401,
    );
    // Two days later the one-day tokens have expired.
    const second = (
      await api(server.url, 'POST', '/api/auth/tokens', { name: 'day', expiresInDays: 1 }, tokens.rita)
    ).body.token as string;
    await api(server.url, 'POST', '/api/admin/clock', { advanceSeconds: 2 * 86400 });
    expect((await api(server.url, 'GET', '/api/workspaces/authz/computes', undefined, second)).status).toBe(
      401,
    );
    // Fresh tokens for the rest of the file.
    for (const name of ['olga', 'carl', 'rita', 'cora'])
      tokens[name] = (
        await api(server.url, 'POST', `/api/users/${name}/tokens`, { name: 'after', expiresInDays: 30 })
      ).body.token;
  });
});

/** What each role may do, written out here independently of the server's matcher. */
const expected: Record<string, (action: string) => boolean> = {
  olga: () => true,
  carl: (a) =>
    !/^Microsoft\.Authorization\/.+\/(write|delete)$/i.test(a) &&
    !a.startsWith('Hangar/users/') &&
    !a.startsWith('Hangar/admin/'),
  rita: (a) => a.endsWith('/read'),
  cora: (a) =>
    (a === `${ML}computes/read` ||
      /^Microsoft\.MachineLearningServices\/workspaces\/computes\/[^/]+\/action$/.test(a)) &&
    !a.endsWith('/listKeys/action'),
};

describe('authorization: every route × role', () => {
  const routes = allRoutes.filter((r) => r.auth !== 'public' && !r.action.startsWith('Hangar/nodes/'));

  it('covers the API', () => {
    expect(routes.length).toBeGreaterThan(50);
  });

  for (const who of ['rita', 'cora', 'carl', 'olga']) {
    it(`${who}: allowed routes get past the check, denied ones get 403 naming the action`, async () => {
      const problems: string[] = [];
      for (const r of routes) {
        const path = r.path.replace('{workspace}', 'authz').replace(/\{[^}]+\}/g, 'nope-x1');
        const res = await fetch(`${server.url}${path}`, {
          method: r.method.toUpperCase(),
          headers: { authorization: `Bearer ${tokens[who] ?? ''}`, 'content-type': 'application/json' },
          ...(['get', 'delete'].includes(r.method) ? {} : { body: '{}' }),
        });
        const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
        // Routes without a workspace in the path (blobs, locations, role lists) are allowed where the
        // caller holds the action anywhere; server-scope routes (users, audit, clock) need a role at /.
        const root = r.auth === 'root';
        // Self-service routes (who am I, my tokens) are open to every signed-in principal.
        const allowed = r.auth === 'self' || (!root && (expected[who] as (a: string) => boolean)(r.action));
        const denied =
          res.status === 403 &&
          body.error?.code === 'AuthorizationFailed' &&
          (body.error.message ?? '').includes(r.action);
        if (
          allowed &&
          (res.status === 401 || (res.status === 403 && body.error?.message?.includes('may not perform')))
        )
          problems.push(
            `${r.method} ${r.path} should be allowed: ${res.status} ${body.error?.message ?? ''}`,
          );
        if (!allowed && !denied)
          problems.push(
            `${r.method} ${r.path} (${r.action}) should be denied: ${res.status} ${body.error?.code ?? ''}`,
          );
      }
      expect(problems).toEqual([]);
    }, 120_000);
  }

  it('keeps a compute-scoped assignment on that compute', async () => {
    await user('nina');
    await assign('nina', 'Reader', '/workspaces/authz/computes/one-box');
    expect(
      (await api(server.url, 'GET', '/api/workspaces/authz/computes/one-box', undefined, tokens.nina)).status,
    ).toBe(404);
    const other = await api(
      server.url,
      'GET',
      '/api/workspaces/authz/computes/other-box',
      undefined,
      tokens.nina,
    );
    expect(other.status).toBe(403);
    expect(other.body.error.message).toContain(`${ML}computes/read at /workspaces/authz/computes/other-box`);
  });

  it('manages roles and assignments from the CLI', async () => {
    const env = { HANGAR_TOKEN: adminToken(server.url) ?? '' };
    const made = await runCli(
      ['role', 'create', '-n', 'Job reader', '--actions', `${ML}jobs/read`, '-o', 'json'],
      { url: server.url, env },
    );
    expect(made.code, made.stderr).toBe(0);
    const listed = await runCli(['role', 'list', '-o', 'table'], { url: server.url, env });
    expect(listed.stdout).toMatch(/Owner[\s\S]*Job reader/);
    const a = await runCli(
      [
        'role',
        'assignment',
        'create',
        '--assignee',
        'rita',
        '--role',
        'Job reader',
        '--scope',
        '/workspaces/default',
        '-o',
        'json',
      ],
      { url: server.url, env },
    );
    expect(a.code, a.stderr).toBe(0);
    const id = JSON.parse(a.stdout)[0].id as string;
    expect(
      (
        await runCli(['role', 'assignment', 'list', '--scope', '/workspaces/default', '-o', 'json'], {
          url: server.url,
          env,
        })
      ).stdout,
    ).toContain(id);
    expect(
      (await api(server.url, 'GET', '/api/workspaces/default/jobs', undefined, tokens.rita)).status,
    ).toBe(200);
    expect((await runCli(['role', 'assignment', 'delete', '--id', id], { url: server.url, env })).code).toBe(
      0,
    );
    expect(
      (await api(server.url, 'GET', '/api/workspaces/default/jobs', undefined, tokens.rita)).status,
    ).toBe(403);
    // A Contributor cannot hand out roles.
    const escalate = await api(
      server.url,
      'POST',
      '/api/roleAssignments',
      { principalId: 'carl', roleName: 'Owner', scope: '/workspaces/authz' },
      tokens.carl,
    );
    expect(escalate.status).toBe(403);
  });
});

describe('instances: power verbs by role, applications by owner only', () => {
  it('lets a compute operator start and stop, but opens the applications only for the assigned user', async () => {
    // The route table above let the Owner delete the workspace; bring it back.
    await api(server.url, 'PUT', '/api/workspaces/authz', { location: 'local' });
    const put = await api(server.url, 'PUT', '/api/workspaces/authz/computes/bob-box', {
      properties: {
        computeType: 'ComputeInstance',
        properties: {
          vmSize: 'Standard_DS1_v2',
          personalComputeInstanceSettings: { assignedUser: { objectId: ids.carl } },
          setupScripts: { scripts: { startupScript: { scriptSource: 'inline', scriptData: 'echo hi' } } },
        },
      },
    });
    expect(put.status).toBe(201);
    await waitFor(
      async () =>
        (await api(server.url, 'GET', '/api/workspaces/authz/computes/bob-box')).body.properties.properties
          .state === 'Running',
      'bob-box to run',
      45_000,
      200,
    );
    // The creator (admin, Owner) cannot open it; the assigned user can.
    const byAdmin = await api(server.url, 'GET', '/apps/authz/bob-box/terminal/');
    expect(byAdmin.status).toBe(403);
    expect(byAdmin.body.error.message).toContain(`Only the assigned user (${ids.carl ?? ''})`);
    const byCarl = await fetch(`${server.url}/apps/authz/bob-box/jupyter/api`, {
      headers: { authorization: `Bearer ${tokens.carl ?? ''}` },
    });
    expect(byCarl.status).toBe(200);
    // SSO: off at creation (setup script); the assigned user may turn it on, the creator may not.
    expect(
      (await api(server.url, 'POST', '/api/workspaces/authz/computes/bob-box/enableSso', { enabled: true }))
        .status,
    ).toBe(403);
    expect(
      (
        await api(
          server.url,
          'POST',
          '/api/workspaces/authz/computes/bob-box/enableSso',
          { enabled: true },
          tokens.carl,
        )
      ).status,
    ).toBe(200);
    // A compute operator (no application access rights over someone else's box) can stop it.
    expect(
      (await api(server.url, 'POST', '/api/workspaces/authz/computes/bob-box/stop', undefined, tokens.cora))
        .status,
    ).toBe(202);
    expect(
      (await api(server.url, 'GET', '/apps/authz/bob-box/terminal/', undefined, tokens.cora)).status,
    ).toBe(403);
    expect(
      (await api(server.url, 'GET', '/api/workspaces/authz/computes/bob-box/stop', undefined, tokens.rita))
        .status,
    ).toBe(404);
    expect(
      (await api(server.url, 'POST', '/api/workspaces/authz/computes/bob-box/start', undefined, tokens.rita))
        .status,
    ).toBe(403);
    await api(server.url, 'DELETE', '/api/workspaces/authz/computes/bob-box');
  }, 90_000);
});

describe('jobs', () => {
  it('cannot read the server database or the secrets key (bubblewrap sandbox)', async () => {
    const c = await api(server.url, 'PUT', '/api/workspaces/default/computes/sandboxed', {
      properties: {
        computeType: 'AmlCompute',
        properties: { vmSize: 'STANDARD_D2_V2', scaleSettings: { minNodeCount: 0, maxNodeCount: 1 } },
      },
    });
    expect(c.status).toBe(201);
    const home = server.home;
    const script = `for f in ${home}/hangar.db ${home}/secret.key ${home}/admin-credentials.json; do if cat "$f" >/dev/null 2>&1; then echo "READ $f"; else echo "DENIED $f"; fi; done; ls ${home}/nodes 2>&1 | head -3; echo "own folder ok: $(test -w "$HANGAR_OUTPUTS_DIR" && echo yes)"; python -c "import sklearn; print('environment ok')"`;
    const r = await runCli(
      [
        'job',
        'create',
        '-f',
        jobFolder({ command: script, compute: 'sandboxed' }),
        '--name',
        'snoop',
        '--stream',
      ],
      { url: server.url },
    );
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['hangar.db', 'secret.key', 'admin-credentials.json'])
      expect(r.stdout).toContain(`DENIED ${home}/${f}`);
    expect(r.stdout).not.toContain('READ ');
    expect(r.stdout).toContain('own folder ok: yes');
    // The node's interpreter shim and environments stay visible inside the sandbox.
    expect(r.stdout).toContain('environment ok');
    const nodes = await api(server.url, 'GET', '/api/workspaces/default/computes/sandboxed/nodes');
    expect(nodes.status).toBe(200);
  }, 90_000);

  it("gets identity tokens that carry exactly the identity's roles; run tokens reach only their own run", async () => {
    const uami = '/identities/reader-id';
    const c = await api(server.url, 'PUT', '/api/workspaces/default/computes/with-id', {
      identity: { type: 'UserAssigned', userAssignedIdentities: { [uami]: {} } },
      properties: {
        computeType: 'AmlCompute',
        properties: { vmSize: 'STANDARD_D2_V2', scaleSettings: { minNodeCount: 0, maxNodeCount: 1 } },
      },
    });
    expect(c.status).toBe(201);
    expect(c.body.identity.userAssignedIdentities[uami]).toEqual({ principalId: uami, clientId: uami });
    await assign(uami, 'Reader', '/workspaces/default');
    const script = [
      'import json, os, urllib.request, urllib.error',
      'def call(method, url, headers, body=None):',
      '    req = urllib.request.Request(url, method=method, headers=headers, data=body)',
      '    try:',
      '        with urllib.request.urlopen(req) as r: return r.status',
      '    except urllib.error.HTTPError as e: return e.code',
      'tok = json.load(urllib.request.urlopen(urllib.request.Request(os.environ["MSI_ENDPOINT"] + "?resource=hangar&clientid=" + os.environ["DEFAULT_IDENTITY_CLIENT_ID"], headers={"secret": os.environ["MSI_SECRET"]})))',
      'server = os.environ["MSI_ENDPOINT"].split("/api/")[0]',
      'auth = {"authorization": "Bearer " + tok["access_token"], "content-type": "application/json"}',
      'print("identity", tok["client_id"])',
      'print("read computes", call("GET", server + "/api/workspaces/default/computes", auth))',
      'print("create compute", call("PUT", server + "/api/workspaces/default/computes/sneaky", auth, b"{}"))',
      'run = {"authorization": "Bearer " + os.environ["MLFLOW_TRACKING_TOKEN"]}',
      'print("run token lists jobs", call("GET", server + "/api/workspaces/default/jobs", run))',
      'print("run token other run", call("GET", os.environ["MLFLOW_TRACKING_URI"] + "/api/2.0/mlflow/runs/get?run_id=snoop", run))',
    ].join('\n');
    const r = await runCli(
      [
        'job',
        'create',
        '-f',
        jobFolder({ command: 'python ident.py', compute: 'with-id' }, { 'ident.py': script }),
        '--name',
        'ident',
        '--stream',
      ],
      { url: server.url },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`identity ${uami}`);
    expect(r.stdout).toContain('read computes 200');
    expect(r.stdout).toContain('create compute 403');
    expect(r.stdout).toContain('run token lists jobs 403');
    expect(r.stdout).toContain('run token other run 403');
    expect((await waitForEnd(server.url, 'ident')).properties.status).toBe('Completed');
  }, 120_000);
});

describe('nodes', () => {
  it('keeps agent and user credentials apart', async () => {
    expect((await api(server.url, 'POST', '/api/agent/heartbeat', { running: [] })).status).toBe(401);
    const session = JSON.parse(
      readFileSync(
        join(
          server.home,
          'nodes',
          (await api(server.url, 'GET', '/api/workspaces/default/computes/sandboxed/nodes')).body.value[0]
            ?.nodeId ?? 'none',
          'session.json',
        ),
        'utf8',
      ),
    ) as { sessionToken: string };
    const asNode = await api(
      server.url,
      'GET',
      '/api/workspaces/default/computes',
      undefined,
      session.sessionToken,
    );
    expect(asNode.status).toBe(403);
    expect(asNode.body.error.message).toContain('nodes use the agent routes');
  });
});

describe('secrets and the audit log', () => {
  it('never returns or logs a secret', async () => {
    const password = 'Sup3r-Secret-VM-Passw0rd';
    expect(
      (
        await api(server.url, 'PUT', '/api/workspaces/default/computes/vm-pw', {
          properties: {
            computeType: 'VirtualMachine',
            properties: {
              address: '127.0.0.1',
              sshPort: 1,
              administratorAccount: { username: 'u', password },
            },
          },
        })
      ).status,
    ).toBeLessThan(300);
    const key = await api(server.url, 'POST', '/api/workspaces/default/sshKeys', { name: 'gen' });
    const privateKey = key.body.privateKey as string;
    const adminPassword = (
      JSON.parse(readFileSync(join(server.home, 'admin-credentials.json'), 'utf8')) as { password: string }
    ).password;
    const secrets = [
      password,
      privateKey.split('\n')[1] ?? privateKey,
      adminPassword,
      adminToken(server.url) ?? '',
      tokens.carl ?? '',
    ];
    const reads = [
      '/api/workspaces/default/computes',
      '/api/workspaces/default/computes/vm-pw',
      '/api/workspaces/default/sshKeys',
      '/api/users',
      '/api/auth/tokens',
      '/api/audit?$top=1000',
      '/api/roleAssignments',
      '/api/workspaces/default/jobs',
      '/api/workspaces/default/computes/sandboxed/nodes',
      '/api/workspaces/default/computes/vm-pw/events',
    ];
    const bodies = await Promise.all(
      reads.map(async (p) => JSON.stringify((await api(server.url, 'GET', p)).body)),
    );
    const logs = [server.output(), ...['snoop', 'ident'].map((j) => j)].join('\n');
    for (const s of secrets) {
      expect(s.length).toBeGreaterThan(10);
      for (const [i, b] of bodies.entries())
        expect(b.includes(s), `${reads[i] ?? ''} leaks a secret`).toBe(false);
      expect(logs.includes(s), 'the server log leaks a secret').toBe(false);
    }
    // list-keys is the one read that returns them, and it needs its action.
    expect(
      (await api(server.url, 'POST', '/api/workspaces/default/computes/vm-pw/listKeys')).body.secrets[
        'administratorAccount.password'
      ],
    ).toBe(password);
  });

  it('audits every mutating call: who, what, when, outcome', async () => {
    await api(
      server.url,
      'PUT',
      '/api/workspaces/authz/computes/audit-me',
      { properties: { computeType: 'AmlCompute', properties: { vmSize: 'STANDARD_D2_V2' } } },
      tokens.rita,
    );
    const entries = (await runCli(['audit', '-o', 'json'], { url: server.url })).stdout;
    const log = JSON.parse(entries) as {
      principal: string;
      action: string;
      path: string;
      outcome: string;
      at: string;
    }[];
    expect(
      log.find((e) => e.principal === 'rita' && e.path === '/api/workspaces/authz/computes/audit-me'),
    ).toMatchObject({ action: `${ML}computes/write`, outcome: 'Denied' });
    expect(log.find((e) => e.principal === 'admin' && e.path === '/api/roleAssignments')).toMatchObject({
      outcome: 'Succeeded',
    });
    expect(log.every((e) => typeof e.at === 'string')).toBe(true);
  });
});
