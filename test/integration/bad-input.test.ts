import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalogue } from '../../src/domain/errors/error-catalogue.js';
import { waitFor } from '../helpers/processes.js';
import { adminToken, api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/**
 * Bad input never gives a 500, and every refusal is in the one error shape: every route of
 * /api/openapi.json is hit with malformed path escapes, bodies, query strings, cookies and
 * credentials, and each answer is checked against the catalogue.
 */

let server: ServerProcess;
const ws = '/api/workspaces/default/computes';
const cluster = {
  properties: {
    computeType: 'AmlCompute',
    properties: { vmSize: 'Standard_DS3_v2', scaleSettings: { minNodeCount: 0, maxNodeCount: 1 } },
  },
};

/** `{"a":{"a":…}}` nested `n` deep, as text. */
const deepObject = (n: number, key = 'a'): string => `${`{"${key}":`.repeat(n)}1${'}'.repeat(n)}`;

interface Probe {
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  why: string;
}

/** What is wrong with an answer (undefined when it is fine): a 500, or an error outside the one shape. */
async function problemWith(res: Response): Promise<string | undefined> {
  const text = await res.text();
  if (res.status === 500) return `500: ${text.slice(0, 300)}`;
  if (res.status < 400) return undefined;
  if (!(res.headers.get('content-type') ?? '').includes('application/json'))
    return `${res.status} as ${res.headers.get('content-type') ?? 'no content type'}: ${text.slice(0, 200)}`;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    return `${res.status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  const code = body?.error?.code as string | undefined;
  const entry = code ? (errorCatalogue as Record<string, { status: number }>)[code] : undefined;
  if (!entry) return `${res.status} with code ${String(code)}, not in the catalogue: ${text.slice(0, 200)}`;
  if (entry.status !== res.status)
    return `${res.status} with code ${code}, which the catalogue answers with ${entry.status}`;
  if (typeof body.error.message !== 'string' || body.error.message === '')
    return `${res.status} ${code} without a message`;
  if (
    Object.keys(body).length !== 1 ||
    Object.keys(body.error).some((k) => !['code', 'message', 'target', 'details'].includes(k))
  )
    return `${res.status} ${code} with extra fields: ${text.slice(0, 200)}`;
  return undefined;
}

/** Sends every probe (a few at a time) and lists the answers that break the rules. */
async function run(probes: Probe[]): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < probes.length) {
      const p = probes[next++] as Probe;
      try {
        const res = await fetch(`${server.url}${p.path}`, {
          method: p.method,
          headers: p.headers,
          body: p.body,
          signal: AbortSignal.timeout(20_000),
        });
        const problem = await problemWith(res);
        if (problem) problems.push(`${p.method} ${p.path.slice(0, 120)} [${p.why}] → ${problem}`);
      } catch (err) {
        problems.push(
          `${p.method} ${p.path.slice(0, 120)} [${p.why}] → no answer: ${(err as Error).message}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return problems;
}

/** Raw bytes to the server's port; the whole answer as text. */
function rawRequest(bytes: string): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let out = '';
    socket.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      // An answer with a body is complete once Content-Length bytes follow the head.
      const [head = '', body = ''] = out.split('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(head)?.[1];
      if (length !== undefined && Buffer.byteLength(body) >= Number(length)) socket.end();
    });
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.setTimeout(15_000, () =>
      socket.destroy(new Error(`no complete answer to ${JSON.stringify(bytes.slice(0, 40))}: ${out}`)),
    );
  });
}

/** Status and parsed JSON body of a raw HTTP answer. */
function parseRaw(answer: string): { status: number; headers: string; body: any } {
  const [head = '', ...rest] = answer.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
    headers: head,
    body: JSON.parse(rest.join('\r\n\r\n')),
  };
}

beforeAll(async () => {
  server = await startServerProcess({ config: { reconcileIntervalMs: 200 } });
  const made = await api(server.url, 'PUT', `${ws}/fuzz-cluster`, cluster);
  expect(made.status, JSON.stringify(made.body)).toBeLessThan(300);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('the cases the fuzzer found', () => {
  it('answers a session cookie that is not valid percent-encoding with 401, and logs no stack', async () => {
    for (const cookie of ['hangar_session=%ff', 'hangar_session=%E2%82', 'a=b; hangar_session=%zz; c']) {
      const res = await fetch(`${server.url}/api/workspaces`, { headers: { cookie } });
      expect(res.status, cookie).toBe(401);
      expect(((await res.json()) as any).error.code).toBe('Unauthenticated');
    }
    // A real credential next to a broken cookie still works (logout reads the cookie too).
    const out = await fetch(`${server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: 'hangar_session=%ff', authorization: `Bearer ${adminToken(server.url) ?? ''}` },
    });
    expect(out.status).toBe(204);
    expect(server.output()).not.toContain('unexpected error');
  });

  it('answers malformed escapes under /apps/ with 400 MalformedRequest', async () => {
    for (const path of [
      '/apps/%zz/fuzz-cluster/jupyter/',
      '/apps/default/%E2%82/jupyter/',
      '/apps/%ff/%ff/%ff/x%zz',
    ]) {
      const res = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${adminToken(server.url) ?? ''}` },
      });
      expect(res.status, path).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe('MalformedRequest');
      expect(body.error.message).toContain('percent-encoding');
    }
  });

  it('refuses JSON nested 10,000 deep with InvalidJson naming the limit, and takes nesting within it', async () => {
    const deep = await api(server.url, 'PATCH', `${ws}/fuzz-cluster`, deepObject(10_000, 'properties'));
    expect(deep.status).toBe(400);
    expect(deep.body.error.code).toBe('InvalidJson');
    expect(deep.body.error.message).toContain('limit is 64');
    // 64 levels parse; the merge patch then fails validation like any other unknown field.
    const within = await api(server.url, 'PATCH', `${ws}/fuzz-cluster`, deepObject(64, 'tagz'));
    expect(within.status).toBe(400);
    expect(within.body.error.code).not.toBe('InvalidJson');
    expect((await api(server.url, 'PATCH', `${ws}/fuzz-cluster`, { tags: { team: 'fuzz' } })).status).toBe(
      200,
    );
  });

  it('answers headers over the size limit with 431 in the error shape', async () => {
    const res = await fetch(`${server.url}/api/health`, {
      headers: { cookie: `hangar_session=${'a'.repeat(20_000)}` },
    });
    expect(res.status).toBe(431);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('RequestHeaderTooLarge');
    expect(body.error.message).toMatch(/\d+ bytes/);
  });

  it('answers requests that Node or the adapter cannot read with 400 in the error shape', async () => {
    const requests = [
      'GARBAGE\r\n\r\n',
      'GET /api/health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
      'GET /api\\health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      'GET /api/health HTTP/1.1\r\nHost: bad host!\r\nConnection: close\r\n\r\n',
      'GET http://[zz/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    ];
    for (const bytes of requests) {
      const answer = parseRaw(await rawRequest(bytes));
      expect(answer.status, bytes).toBe(400);
      expect(answer.headers.toLowerCase()).toContain('content-type: application/json');
      expect(answer.body.error.code, bytes).toBe('MalformedRequest');
    }
  });
});

describe('fuzzing every route', () => {
  it('never answers 500, and answers every refusal in the one error shape', async () => {
    const spec = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
    };
    const admin = {
      authorization: `Bearer ${adminToken(server.url) ?? ''}`,
      'content-type': 'application/json',
    };
    const good: Record<string, string> = { workspace: 'default', name: 'fuzz-cluster', location: 'local' };
    const badValues = [
      '%zz',
      '%ff',
      '%E2%82',
      '%00',
      '..%2F..%2Fetc',
      'a'.repeat(400),
      '%C3%BC-ü',
      '__proto__',
      '-1',
    ];
    const bodies: Array<[string, string]> = [
      ['malformed JSON', '{"a":'],
      ['JSON nested 10,000 deep', deepObject(10_000)],
      ['array nested 10,000 deep', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
      ['a list', '[1,2,3]'],
      ['null', 'null'],
      ['a string', '"text"'],
      ['a number', '1e309'],
      ['prototype keys', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'],
      [
        'wrong types everywhere',
        JSON.stringify({
          name: [],
          properties: { computeType: 7, properties: [1, { x: null }] },
          spec: 'x',
          hashes: 'x',
          user: 1,
          password: [],
          location: {},
          tags: 'x',
          actions: [1],
          scope: 5,
          principalId: null,
          roleName: [],
          expiresInDays: 'x',
          advanceSeconds: -1,
          run_id: {},
          metrics: 'x',
          version: 'x',
          entries: {},
        }),
      ],
      ['a large string', JSON.stringify({ name: 'x'.repeat(1_000_000) })],
    ];
    const probes: Probe[] = [];
    for (const [template, methods] of Object.entries(spec.paths)) {
      const params = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
      const fill = (values: Record<string, string>): string =>
        template.replace(/\{(\w+)\}/g, (_, p: string) => values[p] ?? good[p] ?? 'fuzz1');
      const goodPath = fill({});
      for (const [method, op] of Object.entries(methods)) {
        const m = method.toUpperCase();
        const hasBody = m !== 'GET' && m !== 'DELETE';
        probes.push({
          method: m,
          path: goodPath,
          headers: { cookie: 'hangar_session=%ff', 'content-type': 'application/json' },
          ...(hasBody ? { body: '{"a":' } : {}),
          why: 'malformed session cookie',
        });
        for (const [why, authorization] of [
          ['malformed bearer', 'Bearer %ff'],
          ['forged run token', 'Bearer hgj_eyJ3cyI6MX0.c2ln'],
          ['forged identity token', 'Bearer hgi_bm90IGpzb24.x'],
          ['basic auth', 'Basic Og=='],
        ] as const) {
          probes.push({ method: m, path: goodPath, headers: { authorization }, why });
        }
        // Deleting with good parameters would only remove what the other probes hit.
        if (hasBody)
          for (const [why, body] of bodies)
            probes.push({ method: m, path: goodPath, headers: admin, body, why });
        for (const param of params)
          for (const bad of badValues)
            probes.push({
              method: m,
              path: fill({ [param]: bad }),
              headers: admin,
              ...(hasBody ? { body: '{}' } : {}),
              why: `${param}=${bad.slice(0, 20)}`,
            });
        const query = [
          ...new Set([
            ...(op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
            '$top',
            '$skipToken',
            'api-version',
          ]),
        ];
        for (const bad of ['%zz', '-1', '1e309', 'NaN', 'x'.repeat(3000), '[]']) {
          if (m === 'DELETE') continue;
          probes.push({
            method: m,
            path: `${goodPath}?${query.map((q) => `${encodeURIComponent(q)}=${bad}`).join('&')}`,
            headers: admin,
            ...(hasBody ? { body: '{}' } : {}),
            why: `query=${bad.slice(0, 10)}`,
          });
        }
      }
    }
    // Paths no route declares.
    for (const path of [
      '/api/%zz',
      '/api/workspaces/%ff/computes/%zz/nodes/%00/preempt',
      '/apps/',
      '/apps/%zz',
      '/apps/default/nope/x/',
      `/api/${'x/'.repeat(2000)}`,
    ]) {
      probes.push({ method: 'GET', path, headers: admin, why: 'unknown path' });
      probes.push({ method: 'POST', path, headers: admin, body: '{"a":', why: 'unknown path' });
    }
    expect(probes.length).toBeGreaterThan(1000);
    const problems = await run(probes);
    expect(problems).toEqual([]);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    expect(server.output()).not.toContain('unexpected error');
  }, 240_000);
});

describe("bodies are validated once, against the route's own schema", () => {
  /** The targets an error names: those of its details, or its own when it has one problem. */
  const targets = (body: any): string[] =>
    (body?.error?.details ?? [body?.error]).map((d: { target?: string }) => d?.target ?? '').sort();

  it('answers 400 ValidationFailed naming each field, on routes that used to check by hand', async () => {
    const cases: { method: string; path: string; body: unknown; fields: string[]; words: RegExp }[] = [
      {
        method: 'POST',
        path: '/api/roleAssignments',
        body: { principalId: 'admin', roleName: 'Reader', scope: '' },
        fields: ['scope'],
        words: /^scope: .*>=1 characters; got ""$/,
      },
      {
        method: 'PUT',
        path: '/api/workspaces/fuzz-ws',
        body: { description: 'x'.repeat(2049), tags: { a: 1 }, colour: 'red' },
        fields: ['colour', 'description', 'tags.a'],
        words: /unknown field 'colour'/,
      },
      {
        method: 'POST',
        path: '/api/workspaces/default/mlflow/api/2.0/mlflow/runs/log-metric',
        body: { run_id: 'r1', key: 'loss', value: 'low' },
        fields: ['value'],
        words: /^value: .*number.*; got "low"$/,
      },
      {
        method: 'POST',
        path: '/api/agent/heartbeat',
        body: { running: [{ jobId: 'default~j', attempt: 0, state: 'running' }] },
        fields: ['running.0.attempt'],
        words: /^running\.0\.attempt: .*; got 0$/,
      },
    ];
    for (const c of cases) {
      const res = await api(server.url, c.method, c.path, c.body);
      expect(res.status, `${c.path}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.code).toBe('ValidationFailed');
      expect(targets(res.body), c.path).toEqual(c.fields);
      const messages: string[] = [
        res.body.error.message,
        ...(res.body.error.details ?? []).map((d: any) => d.message),
      ];
      expect(
        messages.some((m) => c.words.test(m)),
        `${c.path}: ${messages.join(' | ')}`,
      ).toBe(true);
    }
  });

  it('still lists every request schema in OpenAPI, the agent protocol included', async () => {
    const doc: any = (await api(server.url, 'GET', '/api/openapi.json')).body;
    const schemaOf = (path: string, method: string): any =>
      doc.paths[path]?.[method]?.requestBody?.content?.['application/json']?.schema;
    expect(schemaOf('/api/roleAssignments', 'post').required).toEqual(['principalId', 'roleName', 'scope']);
    expect(schemaOf('/api/workspaces/{workspace}', 'put').properties.description.maxLength).toBe(2048);
    expect(schemaOf('/api/agent/heartbeat', 'post').properties.running.items.required).toContain('attempt');
    expect(schemaOf('/api/agent/register', 'post').properties.capacity.properties.cores.minimum).toBe(1);
    const heartbeat =
      doc.paths['/api/agent/heartbeat'].post.responses['200'].content['application/json'].schema;
    expect(heartbeat.required).toEqual(['stop', 'shutdown']);
    const logLength = doc.paths['/api/agent/jobs/{jobId}/logs'].get.parameters;
    expect(logLength.filter((p: any) => p.in === 'query').map((p: any) => [p.name, p.required])).toEqual([
      ['attempt', true],
      ['file', true],
    ]);
    // Compute bodies are documented, though the domain checks them (Azure's messages).
    expect(schemaOf('/api/workspaces/{workspace}/computes/{name}', 'put')).toBeDefined();
  });
});

describe('the application gateway', () => {
  it('answers an application that is not running with ApplicationUnavailable in the error shape, not text/plain', async () => {
    const made = await api(server.url, 'PUT', `${ws}/fuzz-box`, {
      properties: { computeType: 'ComputeInstance', properties: { vmSize: 'Standard_DS1_v2' } },
    });
    expect(made.status, JSON.stringify(made.body)).toBeLessThan(300);
    await waitFor(
      async () =>
        (await api(server.url, 'GET', `${ws}/fuzz-box`)).body.properties.properties.state === 'Running',
      'fuzz-box to run',
      60_000,
      200,
    );
    const res = await fetch(`${server.url}/apps/default/fuzz-box/no-such-app/`, {
      headers: { authorization: `Bearer ${adminToken(server.url) ?? ''}` },
    });
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as any;
    expect(res.status).toBe(409);
    expect(body.error.code).toBe('ApplicationUnavailable');
    expect(body.error.message).toContain("application 'no-such-app' is not running");
    expect((await api(server.url, 'DELETE', `${ws}/fuzz-box`)).status).toBeLessThan(300);
  }, 90_000);
});
