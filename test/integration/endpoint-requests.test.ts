import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postgresAvailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { createInferenceCluster } from '../helpers/endpoint-fixtures.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// request_settings end to end (queue, 429 after max_queue_wait_ms, 408/504 past request_timeout_ms),
// target-utilization autoscale under load, and the router's cached routes across server replicas.
// Real server processes and scoring hosts; the model is a JSON weight, no sklearn needed.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

const ws = '/api/workspaces/default';
const config = { environmentAliases: [{ match: 'system-python', python: '/usr/bin/python3' }] };

/** run() sleeps as asked and says when it started and ended (time.time()), to show order without timing. */
const scorePy = `import json, os, time
def init():
    global w, replica
    replica = os.urandom(8).hex()  # pids repeat across sandboxes (one pid namespace each)
    w = json.load(open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "w.json")))[0]
def run(raw):
    req = json.loads(raw)
    start = time.time()
    time.sleep(req.get("sleep", 0))
    return {"y": [w * x for x in req.get("data", [])], "start": start, "end": time.time(), "replica": replica}
`;

/** A folder with code, model and YAML writers for deployments on `endpoint`. */
function workspaceDir(endpoint: string) {
  const dir = tempDir('hangar-ep-requests-');
  mkdirSync(join(dir, 'code'));
  mkdirSync(join(dir, 'model'));
  writeFileSync(join(dir, 'code', 'score.py'), scorePy);
  writeFileSync(join(dir, 'model', 'w.json'), '[2]');
  const yaml = (name: string, body: string): string => {
    const file = join(dir, `${name}.yml`);
    writeFileSync(
      file,
      `name: ${name}
endpoint_name: ${endpoint}
model: ./model
code_configuration: { code: ./code, scoring_script: score.py }
environment: azureml:system-python:1
readiness_probe: { initial_delay: 1, period: 1 }
liveness_probe: { initial_delay: 1, period: 1 }
${body}`,
    );
    return file;
  };
  return { dir, yaml };
}

const ok = (r: { code: number | null; stdout: string; stderr: string }): any => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe('request_settings and autoscale on one server', () => {
  let server: ServerProcess;
  let key = '';
  let files: ReturnType<typeof workspaceDir>;
  const cli = (args: string[]) => runCli(args, { url: server.url, cwd: files.dir });
  const score = (deployment: string, body: unknown): Promise<Response> =>
    fetch(`${server.url}/endpoints/req-ep/score`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        'azureml-model-deployment': deployment,
      },
      body: JSON.stringify(body),
    });
  /** `hangar.metrics` (in flight, queued) and ready replicas this server reports for a deployment. */
  const show = async (deployment: string) =>
    (await api(server.url, 'GET', `${ws}/onlineEndpoints/req-ep/deployments/${deployment}`)).body.hangar as {
      readyReplicas: number;
      metrics?: { inFlight: number; queued: number };
    };

  beforeAll(async () => {
    files = workspaceDir('req-ep');
    server = await startServerProcess({ config });
    // The inference cluster whose nodes host the Kubernetes deployments' replicas.
    await createInferenceCluster(cli, files.dir, 'inference-pool');
    ok(await cli(['online-endpoint', 'create', '-n', 'req-ep']));
    key = ok(await cli(['online-endpoint', 'get-credentials', '-n', 'req-ep'])).primaryKey;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('past max_concurrent_requests_per_instance a request waits in the queue: served when a slot frees, 429 after max_queue_wait_ms; 2 × the limit pending is refused at once', async () => {
    ok(
      await cli([
        'online-deployment',
        'create',
        '-f',
        files.yaml(
          'gate',
          `instance_type: Standard_DS3_v2
instance_count: 1
request_settings: { max_concurrent_requests_per_instance: 1, max_queue_wait_ms: 1000, request_timeout_ms: 3000 }
`,
        ),
      ]),
    );
    // Served from the queue: the second starts only after the first ended (one slot).
    const first = score('gate', { data: [1], sleep: 0.3 });
    await waitFor(async () => (await show('gate')).metrics?.inFlight === 1, 'the first request in flight');
    const second = score('gate', { data: [2] });
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [ra, rb] = (await Promise.all([a.json(), b.json()])) as {
      start: number;
      end: number;
      y: number[];
    }[];
    expect(rb!.y).toEqual([4]);
    expect(rb!.start).toBeGreaterThanOrEqual(ra!.end);

    // A long request holds the only slot: the next waits max_queue_wait_ms and is refused; one
    // more while it waits is over 2 × 1 × 1 pending and is refused without waiting.
    const long = score('gate', { data: [1], sleep: 2.5 });
    await waitFor(async () => (await show('gate')).metrics?.inFlight === 1, 'the long request in flight');
    const waiting = score('gate', { data: [1] });
    await waitFor(async () => (await show('gate')).metrics?.queued === 1, 'one request queued');
    const over = await score('gate', { data: [1] });
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('1');
    const overBody = (await over.json()) as any;
    expect(overBody.error.code).toBe('TooManyPendingRequests');
    expect(overBody.error.message).toContain('2 × max_concurrent_requests_per_instance (1) × 1');
    const waited = await waiting;
    expect(waited.status).toBe(429);
    const waitedBody = (await waited.json()) as any;
    expect(waitedBody.error.code).toBe('TooManyPendingRequests');
    expect(waitedBody.error.message).toContain('waited max_queue_wait_ms (1000 ms)');
    expect((await long).status).toBe(200);
    const after = await show('gate');
    expect(after.metrics).toMatchObject({ inFlight: 0, queued: 0 });
    const metrics = await (await serverFetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/hangar_online_deployment_queued\{[^}]*deployment="gate"\} 0/);

    // Past request_timeout_ms (3000) a managed deployment answers 408.
    const slow = await score('gate', { data: [1], sleep: 5 });
    expect(slow.status).toBe(408);
    const slowBody = (await slow.json()) as any;
    expect(slowBody.error).toMatchObject({
      code: 'ScoringTimeout',
      target: 'request_settings.request_timeout_ms',
    });
    expect(slowBody.error.message).toContain('3000 ms');
  });

  it('target_utilization scales a Kubernetes deployment on an aks pool from 1 to 3 replicas under load and back to 1 after it; its timeout is 504', async () => {
    ok(
      await cli([
        'online-deployment',
        'create',
        '-f',
        files.yaml(
          'auto',
          `compute: inference-pool
scale_settings: { type: target_utilization, min_instances: 1, max_instances: 3, target_utilization_percentage: 50, polling_interval: 1 }
request_settings: { max_concurrent_requests_per_instance: 1, max_queue_wait_ms: 3000, request_timeout_ms: 2000 }
`,
        ),
      ]),
    );
    expect((await show('auto')).readyReplicas).toBe(1);
    // Four callers in a loop against one slot: in flight + queued per replica is far over 50 %.
    let loading = true;
    const statuses: number[] = [];
    const replicas = new Set<string>();
    const caller = async (): Promise<void> => {
      while (loading) {
        const r = await score('auto', { data: [1], sleep: 0.3 });
        statuses.push(r.status);
        if (r.status === 200) replicas.add(((await r.json()) as { replica: string }).replica);
        else {
          await r.arrayBuffer();
          await new Promise((res) => setTimeout(res, 100));
        }
      }
    };
    const callers = Array.from({ length: 4 }, caller);
    try {
      await waitFor(
        async () => (await show('auto')).readyReplicas === 3,
        'three ready replicas',
        40_000,
        250,
      );
      // Both replicas take requests while the load lasts.
      await waitFor(() => replicas.size === 3, 'answers from three scoring hosts', 20_000, 100);
    } finally {
      loading = false;
      await Promise.all(callers);
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    // No load: after 20 polling intervals under the target it removes one replica, never below min.
    await waitFor(async () => (await show('auto')).readyReplicas === 1, 'one replica again', 90_000, 500);
    const d = (await api(server.url, 'GET', `${ws}/onlineEndpoints/req-ep/deployments/auto`)).body;
    expect(d.properties.provisioningState).toBe('Succeeded');

    const slow = await score('auto', { data: [1], sleep: 4 });
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as any).error.code).toBe('ScoringGatewayTimeout');
  });

  it('refuses bad request_settings and min_instances 0, naming field, rule and value, before anything starts', async () => {
    const put = (name: string, extra: Record<string, unknown>) =>
      api(server.url, 'PUT', `${ws}/onlineEndpoints/req-ep/deployments/${name}`, {
        name,
        model: 'azureml:none:1',
        code_configuration: { code: 'azureml:none', scoring_script: 'score.py' },
        environment: 'azureml:system-python:1',
        instance_type: 'Standard_DS3_v2',
        instance_count: 1,
        ...extra,
      });
    const cases: [Record<string, unknown>, string, string, string][] = [
      [
        { request_settings: { max_concurrent_requests_per_instance: 0 } },
        'request_settings.max_concurrent_requests_per_instance',
        '>=1',
        'got 0',
      ],
      [
        { request_settings: { max_queue_wait_ms: -5 } },
        'request_settings.max_queue_wait_ms',
        '>=0',
        'got -5',
      ],
      [
        { request_settings: { request_timeout_ms: 180001 } },
        'request_settings.request_timeout_ms',
        'at most 180000',
        'got 180001',
      ],
      [
        { request_settings: { max_queue_wait_ms: 'later' } },
        'request_settings.max_queue_wait_ms',
        'expected number',
        'got "later"',
      ],
      [
        {
          compute: 'inference-pool',
          instance_count: undefined,
          scale_settings: { type: 'target_utilization', min_instances: 0, max_instances: 2 },
        },
        'scale_settings.min_instances',
        'at least 1',
        'got 0',
      ],
    ];
    for (const [extra, target, rule, value] of cases) {
      const r = await put('bad', extra);
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect(r.body.error.target).toBe(target);
      expect(r.body.error.message).toContain(rule);
      expect(r.body.error.message).toContain(value);
    }
    const list = await api(server.url, 'GET', `${ws}/onlineEndpoints/req-ep/deployments`);
    expect(list.body.value.map((d: { name: string }) => d.name)).not.toContain('bad');
  });
});

describe.skipIf(!postgresAvailable)('cached routes across two server replicas on PostgreSQL', () => {
  let pgServer: PostgresServer;
  const servers: ServerProcess[] = [];
  let files: ReturnType<typeof workspaceDir>;

  beforeAll(async () => {
    pgServer = await startPostgres();
    const env = { HANGAR_DATABASE_URL: await pgServer.createDatabase('routes') };
    // One HANGAR_HOME (the secret key that encrypts endpoint keys), as replicas on one machine have.
    const home = tempDir('hangar-route-replicas-');
    servers.push(await startServerProcess({ home, config, env }));
    files = workspaceDir('xr-ep');
    const cli = (args: string[]) => runCli(args, { url: servers[0]!.url, cwd: files.dir });
    ok(await cli(['online-endpoint', 'create', '-n', 'xr-ep']));
    ok(
      await cli([
        'online-deployment',
        'create',
        '-f',
        files.yaml('blue', 'instance_type: Standard_DS3_v2\ninstance_count: 1\n'),
      ]),
    );
    // The second starts after the deployment's files are written (they share the serving folder).
    servers.push(await startServerProcess({ home, config, env }));
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await pgServer?.stop();
  });

  it("a traffic change or a key regenerated on one replica reaches the other's cached routes", async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const keys = (await api(a.url, 'POST', `${ws}/onlineEndpoints/xr-ep/listKeys`)).body;
    const call = (url: string, k: string) =>
      fetch(`${url}/endpoints/xr-ep/score`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' },
        body: '{"data": [3]}',
      });
    // B caches the route while no deployment takes traffic: 404.
    expect((await call(b.url, keys.primaryKey)).status).toBe(404);
    expect(
      (await api(a.url, 'PATCH', `${ws}/onlineEndpoints/xr-ep`, { traffic: { blue: 100 } })).status,
    ).toBe(200);
    // B routes to blue once its own replica of blue is ready (each server runs its own).
    const served = await waitFor(
      async () => {
        const r = await call(b.url, keys.primaryKey);
        return r.status === 200 ? ((await r.json()) as { y: number[] }) : (await r.arrayBuffer(), undefined);
      },
      'replica B to route by the new traffic',
      60_000,
      200,
    );
    expect(served.y).toEqual([6]);
    expect(
      (await api(a.url, 'POST', `${ws}/onlineEndpoints/xr-ep/regenerateKeys`, { keyType: 'Primary' })).status,
    ).toBeLessThan(300);
    expect((await call(a.url, keys.primaryKey)).status).toBe(401);
    await waitFor(
      async () => (await call(b.url, keys.primaryKey)).status === 401,
      'replica B to refuse the regenerated key',
      10_000,
      100,
    );
    expect((await call(b.url, keys.secondaryKey)).status).toBe(200);
  });
});
