import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Online endpoints end to end: a real server, the built CLI, an sklearn model made here, and
// scoring hosts as real processes. One server for the whole file.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 });

let server: ServerProcess;
let dir: string;
const ws = '/api/workspaces/default';
const cli = (args: string[], env: Record<string, string> = {}) =>
  runCli(args, { url: server.url, cwd: dir, env });
const json = (r: { stdout: string; stderr: string; code: number | null }): any => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
const score = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/endpoints/my-endpoint/score`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const scorePy = `import json, os, time, joblib
def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl"))
def run(raw_data):
    req = json.loads(raw_data)
    if "peek" in req:
        return {"exists": os.path.exists(req["peek"])}
    if req.get("die"):
        os._exit(1)
    if req.get("fail"):
        raise ValueError("asked to fail")
    time.sleep(req.get("sleep", 0))
    return {"pred": model.predict(req["data"]).tolist(), "who": os.environ.get("WHO", "?")}
`;

function deploymentYaml(name: string, code = './code', extra = ''): string {
  const file = join(dir, `${name}.yml`);
  writeFileSync(
    file,
    `$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json
name: ${name}
endpoint_name: my-endpoint
model: azureml:lr:1
code_configuration:
  code: ${code}
  scoring_script: score.py
environment: azureml:sklearn-env:1
instance_type: Standard_DS3_v2
instance_count: 1
environment_variables:
  WHO: ${name}
readiness_probe:
  initial_delay: 1
  period: 1
liveness_probe:
  initial_delay: 1
  period: 1
${extra}`,
  );
  return file;
}

beforeAll(async () => {
  dir = tempDir('hangar-endpoints-');
  for (const sub of ['code', 'badcode', 'model']) mkdirSync(join(dir, sub));
  writeFileSync(join(dir, 'code', 'score.py'), scorePy);
  writeFileSync(
    join(dir, 'badcode', 'score.py'),
    'def init():\n    raise RuntimeError("the model file is corrupt")\ndef run(raw):\n    return raw\n',
  );
  // The sklearn model: y = 2x, fitted here (python3-sklearn, scripts/install-debian-deps.sh).
  execFileSync('/usr/bin/python3', [
    '-c',
    `import joblib; from sklearn.linear_model import LinearRegression; joblib.dump(LinearRegression().fit([[0],[1],[2]],[0,2,4]), ${JSON.stringify(join(dir, 'model', 'model.pkl'))})`,
  ]);
  writeFileSync(join(dir, 'endpoint.yml'), 'name: my-endpoint\nauth_mode: key\n');
  writeFileSync(join(dir, 'request.json'), '{"data": [[3], [4]]}');
  server = await startServerProcess({
    config: { environmentAliases: [{ match: 'sklearn-env', python: '/usr/bin/python3' }], testClock: true },
  });
  json(await cli(['model', 'create', '-n', 'lr', '-v', '1', '-p', './model']));
  json(await cli(['online-endpoint', 'create', '-f', 'endpoint.yml']));
});

afterAll(async () => {
  await server?.stop();
});

describe('online endpoints', () => {
  let key = '';

  it('deploys blue with --all-traffic and scores by CLI and by HTTP with the key; no key is 401', async () => {
    const blue = json(
      await cli(['online-deployment', 'create', '-f', deploymentYaml('blue'), '--all-traffic']),
    );
    expect(blue).toMatchObject({
      name: 'blue',
      endpoint_name: 'my-endpoint',
      provisioning_state: 'Succeeded',
    });
    expect(blue.hangar.ready_replicas).toBe(1);
    const ep = json(await cli(['online-endpoint', 'show', '-n', 'my-endpoint']));
    expect(ep.traffic).toEqual({ blue: 100 });
    expect(ep.scoring_uri).toBe(`${server.url}/endpoints/my-endpoint/score`);
    expect(JSON.stringify(ep)).not.toMatch(/primaryKey|secondaryKey/);

    const invoked = await cli(['online-endpoint', 'invoke', '-n', 'my-endpoint', '-r', 'request.json']);
    expect(invoked.code, invoked.stderr).toBe(0);
    expect(JSON.parse(JSON.parse(invoked.stdout) as string)).toEqual({
      pred: [6, 8].map((x) => expect.closeTo(x, 6)),
      who: 'blue',
    });

    key = json(await cli(['online-endpoint', 'get-credentials', '-n', 'my-endpoint'])).primaryKey;
    const res = await score({ data: [[10]] }, { authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('azureml-model-deployment')).toBe('blue');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(((await res.json()) as { pred: number[] }).pred[0]).toBeCloseTo(20, 6);

    // User code runs sandboxed, as jobs do: the server's data folder is hidden from it.
    const peek = await score({ peek: join(server.home, 'hangar.db') }, { authorization: `Bearer ${key}` });
    expect(await peek.json()).toEqual({ exists: false });

    expect((await score({ data: [[1]] })).status).toBe(401);
    const wrong = await score({ data: [[1]] }, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as any).error.code).toBe('Unauthenticated');
  });

  it('adds green, splits 90/10 by weight over 1,000 requests, then 0/100; the azureml-model-deployment header pins a deployment', async () => {
    json(await cli(['online-deployment', 'create', '-f', deploymentYaml('green')]));
    json(await cli(['online-endpoint', 'update', '-n', 'my-endpoint', '--traffic', 'blue=90 green=10']));
    const seen: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const r = await score({ data: [[1]] }, { authorization: `Bearer ${key}` });
      expect(r.status).toBe(200);
      const who = ((await r.json()) as { who: string }).who;
      seen[who] = (seen[who] ?? 0) + 1;
    }
    // 100 expected for green; 55..150 holds with overwhelming probability (sd ≈ 9.5).
    expect(seen.green).toBeGreaterThanOrEqual(55);
    expect(seen.green).toBeLessThanOrEqual(150);
    expect((seen.blue ?? 0) + (seen.green ?? 0)).toBe(1000);
    // Then 0/100: every request goes to green.
    json(await cli(['online-endpoint', 'update', '-n', 'my-endpoint', '--traffic', 'blue=0 green=100']));
    for (let i = 0; i < 50; i++) {
      const r = await score({ data: [[1]] }, { authorization: `Bearer ${key}` });
      expect(((await r.json()) as { who: string }).who).toBe('green');
    }
    for (let i = 0; i < 5; i++) {
      const r = await score(
        { data: [[1]] },
        { authorization: `Bearer ${key}`, 'azureml-model-deployment': 'green' },
      );
      expect(((await r.json()) as { who: string }).who).toBe('green');
    }
    const shown = json(await cli(['online-deployment', 'show', '-n', 'green', '-e', 'my-endpoint']));
    expect(shown.hangar.metrics.requests).toBeGreaterThanOrEqual(5);
  });

  it('mirrors 20 % of the traffic to green, whose answers the callers never see', async () => {
    const greenRequests = async (): Promise<number> =>
      json(await cli(['online-deployment', 'show', '-n', 'green', '-e', 'my-endpoint'])).hangar.metrics
        .requests;
    const before = await greenRequests();
    const ep = json(
      await cli([
        'online-endpoint',
        'update',
        '-n',
        'my-endpoint',
        '--traffic',
        'blue=100 green=0',
        '--mirror-traffic',
        'green=20',
      ]),
    );
    expect(ep.mirror_traffic).toEqual({ green: 20 });
    for (let i = 0; i < 200; i++) {
      const r = await score({ data: [[1]] }, { authorization: `Bearer ${key}` });
      expect(((await r.json()) as { who: string }).who).toBe('blue');
    }
    // Mirrored copies are sent without waiting: let them land, then count (40 expected, sd ≈ 6).
    let mirrored = 0;
    for (let i = 0; i < 20 && mirrored < 15; i++) mirrored = (await greenRequests()) - before;
    expect(mirrored).toBeGreaterThanOrEqual(15);
    expect(mirrored).toBeLessThanOrEqual(80);
    const metrics = await (await serverFetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^hangar_online_deployment_requests_total\{workspace="default",endpoint="my-endpoint",deployment="green"\} [1-9]/m,
    );
    expect(metrics).toContain(
      'hangar_online_deployment_ready_replicas{workspace="default",endpoint="my-endpoint",deployment="blue"} 1',
    );
    json(
      await cli([
        'online-endpoint',
        'update',
        '-n',
        'my-endpoint',
        '--traffic',
        'blue=90 green=10',
        '--mirror-traffic',
        'green=0',
      ]),
    );
  });

  it('a score.py whose init() raises: the deployment is Failed with the traceback', async () => {
    const r = await cli(['online-deployment', 'create', '-f', deploymentYaml('red', './badcode')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('RuntimeError: the model file is corrupt');
    const shown = json(await cli(['online-deployment', 'show', '-n', 'red', '-e', 'my-endpoint']));
    expect(shown.provisioning_state).toBe('Failed');
    expect(shown.hangar.reason).toContain('exited with code 3');
    const logs = await cli([
      'online-deployment',
      'get-logs',
      '-n',
      'red',
      '-e',
      'my-endpoint',
      '--lines',
      '100',
    ]);
    expect(logs.stdout).toContain('Traceback');
  });

  it('an update to a broken version fails and leaves the old version serving', async () => {
    const r = await cli([
      'online-deployment',
      'update',
      '-f',
      deploymentYaml('blue'),
      '--set',
      'code_configuration.code=./badcode',
    ]);
    expect(r.code).toBe(1);
    const shown = json(await cli(['online-deployment', 'show', '-n', 'blue', '-e', 'my-endpoint']));
    expect(shown.provisioning_state).toBe('Failed');
    expect(shown.hangar.serving_generation).toBe(1);
    expect(shown.hangar.desired_generation).toBe(2);
    const res = await score(
      { data: [[2]] },
      { authorization: `Bearer ${key}`, 'azureml-model-deployment': 'blue' },
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { who: string }).who).toBe('blue');
  });

  it('answers 424 when run() raises, 429 past 2 × max_concurrent × instances, 408 past the timeout; a dead replica is restarted', async () => {
    json(
      await cli([
        'online-deployment',
        'create',
        '-f',
        deploymentYaml(
          'slow',
          './code',
          'request_settings:\n  request_timeout_ms: 2500\n  max_concurrent_requests_per_instance: 1\n',
        ),
      ]),
    );
    const pin = { authorization: `Bearer ${key}`, 'azureml-model-deployment': 'slow' };
    const failed = await score({ fail: true }, pin);
    expect(failed.status).toBe(424);
    expect(failed.headers.get('ms-azureml-model-error-statuscode')).toBe('500');
    // Five at once against a limit of 2 in flight: the ones past the limit are 429 with Retry-After.
    const burst = await Promise.all(Array.from({ length: 5 }, () => score({ data: [[1]], sleep: 1 }, pin)));
    const statuses = burst.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(burst.find((r) => r.status === 429)?.headers.get('retry-after')).toBe('1');
    const slow = await score({ data: [[1]], sleep: 4 }, pin);
    expect(slow.status).toBe(408);
    expect(((await slow.json()) as any).error.code).toBe('ScoringTimeout');
    // A replica that dies after it was ready is started again; the deployment serves once more.
    const died = await score({ die: true }, pin);
    // 424 when it dies while answering (408 if the slow call before it still held the replica too long).
    expect([424, 408]).toContain(died.status);
    await waitFor(
      async () => {
        const r = await score({ data: [[1]] }, pin);
        return r.status === 200 ? true : undefined;
      },
      'the slow deployment to serve again after its replica died',
      60_000,
      250,
    );
  });

  it('regenerates keys: the old primary is refused, the new one and the secondary work', async () => {
    const before = json(await cli(['online-endpoint', 'get-credentials', '-n', 'my-endpoint']));
    expect(
      (await cli(['online-endpoint', 'regenerate-keys', '-n', 'my-endpoint', '--key-type', 'primary'])).code,
    ).toBe(0);
    const after = json(await cli(['online-endpoint', 'get-credentials', '-n', 'my-endpoint']));
    expect(after.primaryKey).not.toBe(before.primaryKey);
    expect(after.secondaryKey).toBe(before.secondaryKey);
    expect((await score({ data: [[1]] }, { authorization: `Bearer ${before.primaryKey}` })).status).toBe(401);
    expect((await score({ data: [[1]] }, { authorization: `Bearer ${after.primaryKey}` })).status).toBe(200);
    expect((await score({ data: [[1]] }, { authorization: `Bearer ${after.secondaryKey}` })).status).toBe(
      200,
    );
  });

  it('refuses bad input naming the field and value, before anything starts', async () => {
    const traffic = await api(server.url, 'PATCH', `${ws}/onlineEndpoints/my-endpoint`, {
      traffic: { blue: 90, green: 20 },
    });
    expect(traffic.status).toBe(400);
    expect(traffic.body.error).toMatchObject({ target: 'traffic' });
    expect(traffic.body.error.message).toContain('sum 110');
    const unknown = await api(server.url, 'PATCH', `${ws}/onlineEndpoints/my-endpoint`, {
      traffic: { pink: 100 },
    });
    expect(unknown.body.error.target).toBe('traffic.pink');
    const twice = await cli(['online-deployment', 'create', '-f', deploymentYaml('green')]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('NameConflict');
    const noScript = await cli([
      'online-deployment',
      'create',
      '-f',
      deploymentYaml('pink'),
      '--set',
      'code_configuration.scoring_script=nope.py',
    ]);
    expect(noScript.stderr).toContain('code_configuration.scoring_script');
    expect(noScript.stderr).toContain('nope.py');
    const noModel = await cli([
      'online-deployment',
      'create',
      '-f',
      deploymentYaml('pink'),
      '--set',
      'model=azureml:nomodel:3',
    ]);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toContain('nomodel');
    const noEnv = await cli([
      'online-deployment',
      'create',
      '-f',
      deploymentYaml('pink'),
      '--set',
      'environment=azureml:noenv:1',
    ]);
    expect(noEnv.code).toBe(1);
    expect(noEnv.stderr).toContain('noenv');
    const badBody = await api(server.url, 'PUT', `${ws}/onlineEndpoints/my-endpoint/deployments/pink`, {
      name: 'pink',
      instance_count: 'three',
    });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error.message).toContain('instance_count');
    const list = json(await cli(['online-deployment', 'list', '-e', 'my-endpoint']));
    expect(list.map((d: { name: string }) => d.name)).not.toContain('pink');
  });

  it('authorization: a Reader sees endpoints but neither keys nor writes', async () => {
    expect((await api(server.url, 'POST', '/api/users', { name: 'rita' })).status).toBe(201);
    const token = (await api(server.url, 'POST', '/api/users/rita/tokens', { name: 't', expiresInDays: 1 }))
      .body.token;
    await api(server.url, 'POST', '/api/roleAssignments', {
      principalId: 'rita',
      roleName: 'Reader',
      scope: '/workspaces/default',
    });
    expect((await api(server.url, 'GET', `${ws}/onlineEndpoints/my-endpoint`, undefined, token)).status).toBe(
      200,
    );
    expect(
      (await api(server.url, 'POST', `${ws}/onlineEndpoints/my-endpoint/listKeys`, undefined, token)).status,
    ).toBe(403);
    expect(
      (await api(server.url, 'PUT', `${ws}/onlineEndpoints/other-ep`, { name: 'other-ep' }, token)).status,
    ).toBe(403);
    expect(
      (
        await api(
          server.url,
          'DELETE',
          `${ws}/onlineEndpoints/my-endpoint/deployments/green`,
          undefined,
          token,
        )
      ).status,
    ).toBe(403);
    expect((await api(server.url, 'GET', `${ws}/onlineEndpoints`, undefined, 'bogus')).status).toBe(401);
  });

  it('aml_token endpoints: a token authenticates until it expires; keys are refused', async () => {
    json(await cli(['online-endpoint', 'create', '-n', 'tok-ep', '--auth-mode', 'aml_token']));
    const cred = json(await cli(['online-endpoint', 'get-credentials', '-n', 'tok-ep']));
    expect(cred.tokenType).toBe('Bearer');
    const tokUrl = `${server.url}/endpoints/tok-ep/score`;
    const call = (token: string) =>
      fetch(tokUrl, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    // Authenticated, but no deployment takes traffic: 404.
    expect((await call(cred.accessToken)).status).toBe(404);
    expect((await call(`${cred.accessToken}x`)).status).toBe(401);
    const keys = await api(server.url, 'POST', `${ws}/onlineEndpoints/tok-ep/listKeys`);
    expect(keys.status).toBe(400);
    expect((await api(server.url, 'POST', '/api/admin/clock', { advanceSeconds: 2 * 3600 })).status).toBe(
      200,
    );
    const expired = await call(cred.accessToken);
    expect(expired.status).toBe(401);
    expect(((await expired.json()) as any).error.message).toContain('expired');
    expect((await cli(['online-endpoint', 'delete', '-n', 'tok-ep', '--yes'])).code).toBe(0);
  });

  it('deletes the endpoint with its deployments; its scoring URL is gone', async () => {
    expect((await cli(['online-endpoint', 'delete', '-n', 'my-endpoint', '--yes'])).code).toBe(0);
    expect((await score({ data: [[1]] }, { authorization: `Bearer ${key}` })).status).toBe(404);
    expect(json(await cli(['online-endpoint', 'list']))).toEqual([]);
  });
});

describe('--local: the scoring host on this machine, without the server', () => {
  it('creates, invokes, shows logs of and deletes a local deployment; a failing init() says why', async () => {
    const local = tempDir('hangar-local-ep-');
    const home = join(local, 'home');
    for (const sub of ['code', 'model', 'bad']) mkdirSync(join(local, sub));
    writeFileSync(
      join(local, 'code', 'score.py'),
      'import json, os\ndef init():\n    global w\n    w = json.load(open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "w.json")))[0]\ndef run(raw):\n    return [w * x for x in json.loads(raw)["data"]]\n',
    );
    writeFileSync(
      join(local, 'bad', 'score.py'),
      'def init():\n    raise KeyError("no weights")\ndef run(raw):\n    return raw\n',
    );
    writeFileSync(join(local, 'model', 'w.json'), '[3]');
    writeFileSync(join(local, 'req.json'), '{"data": [1, 2]}');
    writeFileSync(
      join(local, 'blue.yml'),
      'name: blue\nendpoint_name: loc-ep\nmodel:\n  path: ./model\ncode_configuration:\n  code: ./code\n  scoring_script: score.py\ninstance_type: Standard_DS3_v2\ninstance_count: 1\n',
    );
    const run = (args: string[]) => runCli(args, { cwd: local, env: { HANGAR_HOME: home } });
    try {
      expect(
        json(await run(['online-deployment', 'create', '-f', 'blue.yml', '--local'])).scoring_uri,
      ).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/score$/);
      const invoked = await run(['online-endpoint', 'invoke', '-n', 'loc-ep', '-r', 'req.json', '--local']);
      expect(JSON.parse(JSON.parse(invoked.stdout) as string)).toEqual([3, 6]);
      expect(
        json(await run(['online-endpoint', 'list', '--local'])).map((e: { name: string }) => e.name),
      ).toEqual(['loc-ep']);
      expect(
        (await run(['online-deployment', 'get-logs', '-n', 'blue', '-e', 'loc-ep', '--local'])).stdout,
      ).toContain('POST /score');
      const bad = await run([
        'online-deployment',
        'create',
        '-f',
        'blue.yml',
        '--local',
        '--set',
        'code_configuration.code=./bad',
      ]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('KeyError');
      expect(bad.stderr).toContain('exited with code 3');
    } finally {
      await run(['online-endpoint', 'delete', '-n', 'loc-ep', '--local', '--yes']);
    }
    expect(json(await run(['online-endpoint', 'list', '--local']))).toEqual([]);
  });
});
