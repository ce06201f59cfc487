import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir, waitFor } from '../helpers/processes.js';
import { createInferenceCluster } from '../helpers/endpoint-fixtures.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Scale to zero, Hangar's opt-in beyond Azure, end to end with a real server and scoring hosts:
// no replica until a request comes; the request is held while one starts and then served; idle,
// the deployment goes back to zero; a replica that cannot be ready within max_queue_wait_ms gives
// 429 with Retry-After. The model is a JSON weight (no sklearn needed).
vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

const ws = '/api/workspaces/default';
const config = { environmentAliases: [{ match: 'system-python', python: '/usr/bin/python3' }] };

/** init() sleeps INIT_SLEEP seconds (a slow model load), raises with INIT_FAIL; run() scales the input by the weight. */
const scorePy = `import json, os, time
def init():
    global w, replica
    time.sleep(float(os.environ.get("INIT_SLEEP", "0")))
    if os.environ.get("INIT_FAIL"):
        raise RuntimeError("the model cannot load")
    replica = os.urandom(8).hex()
    w = json.load(open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "w.json")))[0]
def run(raw):
    return {"y": [w * x for x in json.loads(raw)["data"]], "replica": replica}
`;

const scaleToZero = `compute: inference-pool
scale_settings: { type: target_utilization, min_instances: 0, max_instances: 1, target_utilization_percentage: 100, polling_interval: 1, hangar_scale_to_zero: true }
readiness_probe: { initial_delay: 0, period: 1 }
liveness_probe: { initial_delay: 1, period: 1 }
`;

function workspaceDir(endpoint: string) {
  const dir = tempDir('hangar-ep-zero-');
  mkdirSync(join(dir, 'code'));
  mkdirSync(join(dir, 'model'));
  writeFileSync(join(dir, 'code', 'score.py'), scorePy);
  writeFileSync(join(dir, 'model', 'w.json'), '[3]');
  const yaml = (name: string, body: string): string => {
    const file = join(dir, `${name}.yml`);
    writeFileSync(
      file,
      `name: ${name}
endpoint_name: ${endpoint}
model: ./model
code_configuration: { code: ./code, scoring_script: score.py }
environment: azureml:system-python:1
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

interface Shown {
  properties: { provisioningState: string };
  hangar: {
    readyReplicas: number;
    reason?: string;
    scaleToZero?: { enabled: boolean; scaledToZero: boolean; idleSecondsBeforeZero: number; note?: string };
    metrics?: { queued: number; inFlight: number; requests: number; lastColdStartMs?: number };
  };
}

describe('scale to zero (hangar_scale_to_zero)', () => {
  let server: ServerProcess;
  let key = '';
  let files: ReturnType<typeof workspaceDir>;
  const cli = (args: string[]) => runCli(args, { url: server.url, cwd: files.dir });
  const score = (body: unknown, deployment?: string): Promise<Response> =>
    fetch(`${server.url}/endpoints/zero-ep/score`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        ...(deployment ? { 'azureml-model-deployment': deployment } : {}),
      },
      body: JSON.stringify(body),
    });
  const show = async (deployment: string): Promise<Shown> =>
    (await api(server.url, 'GET', `${ws}/onlineEndpoints/zero-ep/deployments/${deployment}`)).body as Shown;

  beforeAll(async () => {
    files = workspaceDir('zero-ep');
    server = await startServerProcess({ config });
    // The inference cluster whose nodes host the Kubernetes deployments' replicas.
    await createInferenceCluster(cli, files.dir, 'inference-pool');
    ok(await cli(['online-endpoint', 'create', '-n', 'zero-ep']));
    key = ok(await cli(['online-endpoint', 'get-credentials', '-n', 'zero-ep'])).primaryKey;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('deploys with no replica; a request is held while one starts and served; idle, it goes back to zero', async () => {
    const created = ok(
      await cli([
        'online-deployment',
        'create',
        '-f',
        files.yaml(
          'cold',
          `${scaleToZero}environment_variables: { INIT_SLEEP: "1" }
request_settings: { max_concurrent_requests_per_instance: 1, max_queue_wait_ms: 30000, request_timeout_ms: 5000 }
`,
        ),
        '--all-traffic',
      ]),
    );
    // Created without starting anything: the CLI shows the opt-in and that it is at zero.
    expect(created.scale_settings).toMatchObject({ min_instances: 0, hangar_scale_to_zero: true });
    expect(created.hangar.ready_replicas).toBe(0);
    expect(created.hangar.scale_to_zero).toMatchObject({ enabled: true, scaled_to_zero: true });
    const atZero = await show('cold');
    expect(atZero.properties.provisioningState).toBe('Succeeded');
    expect(atZero.hangar.readyReplicas).toBe(0);
    expect(atZero.hangar.scaleToZero).toMatchObject({ scaledToZero: true, idleSecondsBeforeZero: 20 });
    expect(atZero.hangar.scaleToZero?.note).toContain('the next request starts one');
    expect(atZero.hangar.reason).toContain('scaled to zero');
    // `update --set` starts from `show`: the opt-in survives the round trip (else min 0 is refused).
    const updated = ok(
      await cli(['online-deployment', 'update', '-n', 'cold', '-e', 'zero-ep', '--set', 'description=cold']),
    );
    expect(updated.scale_settings.hangar_scale_to_zero).toBe(true);

    // Routed by weight to `cold`: held (counted as queued, not refused) until a replica is ready
    // (init() takes a second, so the held request is seen).
    const first = score({ data: [1, 2] });
    await waitFor(
      async () => (await show('cold')).hangar.metrics?.queued === 1,
      'the request held in the queue',
    );
    const served = await first;
    expect(served.status).toBe(200);
    expect(served.headers.get('azureml-model-deployment')).toBe('cold');
    expect(((await served.json()) as { y: number[] }).y).toEqual([3, 6]);
    const warm = await waitFor(async () => {
      const s = await show('cold');
      return s.hangar.readyReplicas === 1 ? s : undefined;
    }, 'the replica counted as ready');
    expect(warm.hangar.scaleToZero?.scaledToZero).toBe(false);
    expect(warm.hangar.metrics?.lastColdStartMs).toBeGreaterThan(0);
    // Warm now: the CLI's invoke is served by the same replica.
    writeFileSync(join(files.dir, 'req.json'), '{"data": [5]}');
    // az ml prints the answer as a JSON string.
    const invoked = ok(await cli(['online-endpoint', 'invoke', '-n', 'zero-ep', '-r', 'req.json']));
    expect(JSON.parse(invoked).y).toEqual([15]);

    // Idle for 20 polling intervals: the last replica stops and show says so again.
    const idle = await waitFor(
      async () => {
        const s = await show('cold');
        return s.hangar.readyReplicas === 0 && s.hangar.scaleToZero?.scaledToZero ? s : undefined;
      },
      'back to zero replicas',
      45_000,
      500,
    );
    expect(idle.properties.provisioningState).toBe('Succeeded');
    expect(idle.hangar.metrics).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it("a managed deployment opts in too: no replica until a request, then one on the server's serving pool", async () => {
    ok(
      await cli([
        'online-deployment',
        'create',
        '-f',
        files.yaml(
          'managed-cold',
          `instance_type: Standard_DS3_v2
scale_settings: { type: target_utilization, min_instances: 0, max_instances: 1, target_utilization_percentage: 100, polling_interval: 1, hangar_scale_to_zero: true }
readiness_probe: { initial_delay: 0, period: 1 }
request_settings: { max_concurrent_requests_per_instance: 1, max_queue_wait_ms: 30000 }
`,
        ),
      ]),
    );
    const atZero = await show('managed-cold');
    expect(atZero.hangar.readyReplicas).toBe(0);
    expect((atZero as unknown as { kind: string }).kind).toBe('Managed');
    const served = await score({ data: [2] }, 'managed-cold');
    expect(served.status).toBe(200);
    expect(((await served.json()) as { y: number[] }).y).toEqual([6]);
    expect((await show('managed-cold')).hangar.metrics?.lastColdStartMs).toBeGreaterThan(0);
  });

  it('a replica that cannot be ready within max_queue_wait_ms: 429 with Retry-After, then served once it is', async () => {
    ok(
      await cli([
        'online-deployment',
        'create',
        '-f',
        files.yaml(
          'slow',
          `${scaleToZero}environment_variables: { INIT_SLEEP: "3" }
request_settings: { max_concurrent_requests_per_instance: 1, max_queue_wait_ms: 300, request_timeout_ms: 5000 }
`,
        ),
      ]),
    );
    const refused = await score({ data: [1] }, 'slow');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    const body = (await refused.json()) as { error: { code: string; message: string; target: string } };
    expect(body.error).toMatchObject({
      code: 'TooManyPendingRequests',
      target: 'request_settings.max_queue_wait_ms',
    });
    expect(body.error.message).toContain('waited max_queue_wait_ms (300 ms)');
    expect(body.error.message).toContain('scaled to zero');
    // The refused request still started a replica: retried, a request is served by it.
    const later = await waitFor(
      async () => {
        const r = await score({ data: [2] }, 'slow');
        return r.status === 200 ? ((await r.json()) as { y: number[] }) : (await r.arrayBuffer(), undefined);
      },
      'the slow replica to serve',
      30_000,
      500,
    );
    expect(later.y).toEqual([6]);
  });

  it('a replica whose init() raises: the held request gets 503 with why, the deployment is Failed with the traceback', async () => {
    ok(
      await cli([
        'online-deployment',
        'create',
        '-f',
        files.yaml(
          'broken',
          `${scaleToZero}environment_variables: { INIT_FAIL: "1" }
request_settings: { max_concurrent_requests_per_instance: 1, max_queue_wait_ms: 60000, request_timeout_ms: 5000 }
`,
        ),
      ]),
    );
    // Held, then refused as soon as the replica exits (not after max_queue_wait_ms, nor as a 429).
    const held = await score({ data: [1] }, 'broken');
    expect(held.status).toBe(503);
    const body = (await held.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('DeploymentNotReady');
    expect(body.error.message).toContain('init()');
    const failed = await waitFor(async () => {
      const s = await show('broken');
      return s.properties.provisioningState === 'Failed' ? s : undefined;
    }, 'the deployment marked Failed');
    expect((failed.hangar as { logTail?: string }).logTail).toContain('the model cannot load');
    const again = await score({ data: [1] }, 'broken');
    expect(again.status).toBe(503);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain('cannot start');
  });

  it('refuses min_instances 0 without the opt-in and the opt-in misused, naming field, rule and value', async () => {
    const put = (extra: Record<string, unknown>) =>
      api(server.url, 'PUT', `${ws}/onlineEndpoints/zero-ep/deployments/bad`, {
        name: 'bad',
        model: 'azureml:none:1',
        code_configuration: { code: 'azureml:none', scoring_script: 'score.py' },
        environment: 'azureml:system-python:1',
        compute: 'inference-pool',
        ...extra,
      });
    const cases: [Record<string, unknown>, string, string, string][] = [
      [
        { scale_settings: { type: 'target_utilization', min_instances: 0, max_instances: 2 } },
        'scale_settings.min_instances',
        'at least 1',
        'got 0',
      ],
      [
        {
          scale_settings: {
            type: 'target_utilization',
            min_instances: 1,
            max_instances: 2,
            hangar_scale_to_zero: true,
          },
        },
        'scale_settings.hangar_scale_to_zero',
        'needs min_instances: 0',
        'got min_instances 1',
      ],
      [
        {
          scale_settings: {
            type: 'target_utilization',
            min_instances: 0,
            max_instances: 2,
            hangar_scale_to_zero: 'yes',
          },
        },
        'scale_settings.hangar_scale_to_zero',
        'boolean',
        '"yes"',
      ],
      [
        {
          compute: undefined,
          instance_type: 'Standard_DS3_v2',
          instance_count: 1,
          scale_settings: { type: 'default', hangar_scale_to_zero: true },
        },
        'scale_settings.hangar_scale_to_zero',
        'unknown field',
        'hangar_scale_to_zero',
      ],
    ];
    for (const [extra, target, rule, value] of cases) {
      const r = await put(extra);
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect(r.body.error.target, JSON.stringify(r.body)).toBe(target);
      expect(r.body.error.message).toContain(rule);
      expect(r.body.error.message).toContain(value);
    }
    const list = await api(server.url, 'GET', `${ws}/onlineEndpoints/zero-ep/deployments`);
    expect(list.body.value.map((d: { name: string }) => d.name)).not.toContain('bad');
  });
});
