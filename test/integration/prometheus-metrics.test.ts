import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/** What parse-prometheus-text-format answers (prom2json's shape). */
interface PromFamily {
  name: string;
  help: string;
  type: 'GAUGE' | 'COUNTER' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: {
    value?: string;
    labels?: Record<string, string>;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }[];
}
// A real text-format parser from npm (no types published): what a scraper reads, we read.
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromFamily[];

/** The values of `label` on a histogram's _count lines (the parser drops a labelled histogram's labels). */
const countLabels = (text: string, name: string, label: string): string[] =>
  [...text.matchAll(new RegExp(`^${name}_count\\{[^}]*${label}="([^"]*)"`, 'gm'))].map((m) => m[1] ?? '');

const scrapeToken = 'scrape-token-0123456789abcdef';
let server: ServerProcess;
const tokens: Record<string, string> = {};
const scrape = (authorization?: string) =>
  fetch(`${server.url}/metrics`, authorization ? { headers: { authorization } } : {});

async function user(name: string, role?: string, scope = '/'): Promise<void> {
  expect((await api(server.url, 'POST', '/api/users', { name })).status).toBe(201);
  tokens[name] = (
    await api(server.url, 'POST', `/api/users/${name}/tokens`, { name: 'test', expiresInDays: 1 })
  ).body.token;
  if (role)
    expect(
      (await api(server.url, 'POST', '/api/roleAssignments', { principalId: name, roleName: role, scope }))
        .status,
    ).toBe(201);
}

beforeAll(async () => {
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300 },
      metrics: { sampleIntervalSeconds: 1, token: scrapeToken },
    },
  });
  await user('watcher', 'Reader', '/');
  await user('wsreader', 'Reader', '/workspaces/default');
  await user('nobody');
  await createCluster(server.url, 'cpu', 0, 1);
  const yml = jobFolder({ command: 'sleep 3; echo done', compute: 'azureml:cpu' });
  const created = await runCli(['job', 'create', '-f', yml, '--name', 'scraped'], { url: server.url });
  expect(created.code, created.stderr).toBe(0);
  expect((await waitForEnd(server.url, 'scraped', 90_000)).properties.status).toBe('Completed');
}, 150_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/cpu');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.length === 0,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('GET /metrics', () => {
  it('answers the Prometheus text format that a real parser reads, with HELP and TYPE for every family', async () => {
    // The node's utilisation arrives with its heartbeats.
    const text = await waitFor(async () => {
      const t = await (await scrape(`Bearer ${scrapeToken}`)).text();
      return t.includes('hangar_node_cpu_utilization_percent{') ? t : undefined;
    }, 'a node sample in /metrics');
    const res = await scrape(`Bearer ${scrapeToken}`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
    for (const f of families.values()) expect(f.help.length, f.name).toBeGreaterThan(10);
    const helpLines = text.split('\n').filter((l) => l.startsWith('# HELP ')).length;
    expect(text.split('\n').filter((l) => l.startsWith('# TYPE ')).length).toBe(helpLines);
    expect(helpLines).toBe(families.size);

    const jobs = families.get('hangar_jobs');
    expect(jobs?.type).toBe('GAUGE');
    expect(jobs?.metrics).toContainEqual({
      value: '1',
      labels: { workspace: 'default', compute: 'cpu', state: 'Completed' },
    });
    for (const name of ['hangar_job_queue_wait_seconds', 'hangar_job_time_to_running_seconds']) {
      const h = families.get(name);
      expect(h?.type, name).toBe('HISTOGRAM');
      // The parser folds a labelled histogram's buckets into one map and drops its _count/_sum
      // (prom2json's flattening); the lines themselves say the count.
      expect(h?.metrics[0]?.buckets?.['+Inf']).toBe('1');
      expect(text).toContain(`${name}_count{workspace="default",compute="cpu"} 1\n`);
      expect(text).toContain(`${name}_bucket{workspace="default",compute="cpu",le="86400"} 1\n`);
    }
    expect(families.get('hangar_nodes')?.metrics.some((m) => m.labels?.compute === 'cpu')).toBe(true);

    expect(families.get('hangar_reconcile_pass_duration_seconds')?.type).toBe('HISTOGRAM');
    const loopNames = countLabels(text, 'hangar_reconcile_pass_duration_seconds', 'loop');
    for (const loop of ['scheduler', 'node-pool', 'provisioning']) expect(loopNames).toContain(loop);

    expect(families.get('hangar_http_request_duration_seconds')?.type).toBe('HISTOGRAM');
    const routes = countLabels(text, 'hangar_http_request_duration_seconds', 'route');
    expect(routes).toContain('/api/workspaces/:workspace/computes/:name');
    expect(routes).toContain('/api/agent/heartbeat');
    // Route templates, never concrete paths: the label set stays bounded.
    expect(routes.some((r) => r.includes('/computes/cpu'))).toBe(false);

    const cpu = families.get('hangar_node_cpu_utilization_percent')?.metrics[0];
    expect(cpu?.labels?.compute).toBe('cpu');
    expect(Number(cpu?.value)).toBeGreaterThanOrEqual(0);
    expect(Number(families.get('hangar_node_memory_total_bytes')?.metrics[0]?.value)).toBeGreaterThan(0);
  });

  it('is protected: the scrape token or Reader at the server scope; nothing else', async () => {
    const none = await scrape();
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string; target: string } }).error).toMatchObject({
      code: 'Unauthenticated',
      target: 'Authorization',
    });
    expect((await scrape('Bearer not-the-token-0123456789')).status).toBe(401);
    expect((await scrape(`Bearer ${scrapeToken}x`)).status).toBe(401);
    expect((await scrape(`Bearer ${tokens.watcher ?? ''}`)).status).toBe(200);
    // Reader on one workspace is not enough: /metrics shows every workspace.
    const ws = await scrape(`Bearer ${tokens.wsreader ?? ''}`);
    expect(ws.status).toBe(403);
    expect(((await ws.json()) as { error: { code: string } }).error.code).toBe('AuthorizationFailed');
    expect((await scrape(`Bearer ${tokens.nobody ?? ''}`)).status).toBe(403);
    // The bootstrap admin (Owner at /).
    expect((await serverFetch(`${server.url}/metrics`)).status).toBe(200);
  });
});
