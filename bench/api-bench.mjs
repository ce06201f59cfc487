// npm run bench:api — latency and throughput of the REST API on a real server (SQLite file,
// reconcile loops running), against GET /api/health measured in the same run as the baseline.
import autocannon from 'autocannon';
import { api, authHeaders, startServer, table } from './bench-server.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const computeBody = (min = 0) =>
  JSON.stringify({
    properties: {
      computeType: 'AmlCompute',
      properties: { vmSize: 'STANDARD_D2_V2', scaleSettings: { minNodeCount: min, maxNodeCount: 1 } },
    },
  });
const base = '/api/workspaces/default/computes';

function run(url, connections, request) {
  // Every case authenticates as the admin, so the figures include the access check (health needs none).
  const headers =
    request.path === '/api/health' ? request.headers : { ...authHeaders(url), ...request.headers };
  return autocannon({
    url,
    connections,
    duration: seconds,
    requests: [{ ...request, ...(headers ? { headers } : {}) }],
  });
}

async function main() {
  const server = await startServer();
  try {
    for (let i = 0; i < 100; i++) {
      const res = await api(server.url, 'PUT', `${base}/seed${i}`, JSON.parse(computeBody()));
      if (res.status >= 300) throw new Error(`seeding failed: ${JSON.stringify(res.body)}`);
    }
    let n = 0;
    const cases = [
      { name: 'GET /api/health (baseline)', request: { method: 'GET', path: '/api/health' } },
      { name: 'GET one compute', request: { method: 'GET', path: `${base}/seed42` } },
      { name: 'GET list (100 computes)', request: { method: 'GET', path: base } },
      {
        name: 'PUT create compute',
        request: {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: computeBody(),
          setupRequest: (req) => ({ ...req, path: `${base}/bench${n++}` }),
        },
      },
    ];
    console.log(
      `Hangar API benchmark: ${seconds} s per case, real server at ${server.url} (SQLite in ${server.home})`,
    );
    for (const connections of [1, 16]) {
      const rows = [];
      let baseline;
      for (const c of cases) {
        const r = await run(server.url, connections, c.request);
        const errors = r.errors + r.non2xx;
        baseline ??= r;
        rows.push({
          case: c.name,
          conc: connections,
          'req/s': Math.round(r.requests.average),
          'mean ms': r.latency.average.toFixed(2),
          'p50 ms': r.latency.p50,
          'p99 ms': r.latency.p99,
          'x baseline mean': (r.latency.average / baseline.latency.average).toFixed(2),
          'x baseline req/s': (r.requests.average / baseline.requests.average).toFixed(2),
          errors,
        });
      }
      console.log(`\nconcurrency ${connections}`);
      table(rows);
    }
    // The last PUTs may still wait for their turn (writes are admitted in order, reads are not):
    // their connections closed with the case, so the read-back waits for them a little.
    let last = await api(server.url, 'GET', `${base}/bench${n - 1}`);
    for (let i = 0; i < 40 && last.status === 404; i++) {
      await new Promise((r) => setTimeout(r, 50));
      last = await api(server.url, 'GET', `${base}/bench${n - 1}`);
    }
    console.log(
      `\n${n} computes created (the last one reads back: ${last.status === 200 ? 'yes' : `no, ${last.status}`}); 'errors' counts non-2xx answers.`,
    );
    console.log('Latency percentiles are whole milliseconds (autocannon); the mean has the fraction.');
  } finally {
    await server.stop();
  }
}

await main();
