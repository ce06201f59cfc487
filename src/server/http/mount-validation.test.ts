import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderFamilies } from '../metrics/prometheus-text.js';
import { ServerTelemetry } from '../metrics/server-telemetry.js';
import type { Services } from '../services/services.js';
import { createApp } from './app.js';
import { route, type RouteDef } from './route-def.js';

/** Public routes never reach the services except to audit (and every request is timed). */
const audited: unknown[] = [];
const services = {
  access: { recordAudit: (e: unknown) => Promise.resolve(void audited.push(e)) },
  telemetry: new ServerTelemetry(),
} as unknown as Services;
const seen: unknown[] = [];

const routes: RouteDef[] = [
  route({
    method: 'post',
    path: '/api/test/things/{id}',
    action: 'Test/things/write',
    auth: 'public',
    tag: 'Test',
    summary: 'Typed body, params and query',
    params: z.object({ id: z.string().regex(/^t\d+$/) }),
    query: z.object({ count: z.coerce.number().int().min(1).describe('How many') }),
    body: z.object({ name: z.string().min(1), size: z.number().max(10).optional() }),
    handler: (i) => {
      seen.push({ id: i.params.id, count: i.query.count + 1, name: i.body.name.toUpperCase() });
      return Promise.resolve({ status: 200, body: { ok: true } });
    },
  }),
  route({
    method: 'put',
    path: '/api/test/rich',
    action: 'Test/rich/write',
    auth: 'public',
    tag: 'Test',
    summary: 'Body checked by the handler',
    body: z.object({ a: z.number() }),
    bodyCheck: 'handler',
    handler: (i) => Promise.resolve({ status: 200, body: { got: i.body } }),
  }),
  route({
    method: 'post',
    path: '/api/test/raw',
    action: 'Test/raw/write',
    auth: 'public',
    tag: 'Test',
    summary: 'Raw route with a JSON body',
    body: z.object({ user: z.string().min(1) }),
    raw: (c, i) => Promise.resolve(c.json({ hello: i.body.user })),
  }),
  {
    method: 'put',
    path: '/api/test/bytes',
    action: 'Test/bytes/write',
    auth: 'public',
    tag: 'Test',
    summary: 'Raw bytes',
    raw: async (c) => c.json({ length: (await c.req.arrayBuffer()).byteLength }),
  },
];

const app = createApp(services, 'test', () => undefined, routes);
const send = (method: string, path: string, body?: unknown): Promise<Response> =>
  Promise.resolve(
    app.request(path, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    }),
  );

describe('mount() validates against the RouteDef once', () => {
  it('hands the handler parsed, typed params, query and body', async () => {
    const res = await send('POST', '/api/test/things/t1?count=2', { name: 'x', extra: 1 });
    expect(res.status).toBe(200);
    expect(seen.pop()).toEqual({ id: 't1', count: 3, name: 'X' });
  });

  it('answers 400 ValidationFailed naming each bad field of the body', async () => {
    const res = await send('POST', '/api/test/things/t1?count=1', { name: '', size: 11 });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as {
      error: { code: string; message: string; details: { target: string; message: string }[] };
    };
    expect(error.code).toBe('ValidationFailed');
    expect(error.details.map((d) => d.target).sort()).toEqual(['name', 'size']);
    expect(error.details.find((d) => d.target === 'size')?.message).toMatch(/^size: .*10.*; got 11$/);
  });

  it('refuses a bad path parameter or query parameter by name', async () => {
    const badId = (await (await send('POST', '/api/test/things/x1?count=1', { name: 'a' })).json()) as {
      error: { code: string; target: string };
    };
    expect(badId.error).toMatchObject({ code: 'ValidationFailed', target: 'id' });
    const badCount = (await (await send('POST', '/api/test/things/t1?count=0', { name: 'a' })).json()) as {
      error: { code: string; target: string; message: string };
    };
    expect(badCount.error).toMatchObject({ code: 'ValidationFailed', target: 'count' });
    expect(badCount.error.message).toContain('got "0"');
  });

  it('reads a missing body as {} and still names the missing field', async () => {
    const res = await send('POST', '/api/test/things/t1?count=1');
    expect(((await res.json()) as { error: { target: string } }).error.target).toBe('name');
  });

  it("leaves a body the handler checks (bodyCheck: 'handler') as sent", async () => {
    const res = await send('PUT', '/api/test/rich', { a: 'not a number' });
    expect(await res.json()).toEqual({ got: { a: 'not a number' } });
  });

  it('validates a raw route with a JSON body and leaves byte routes alone', async () => {
    expect(await (await send('POST', '/api/test/raw', { user: 'ann' })).json()).toEqual({ hello: 'ann' });
    expect((await send('POST', '/api/test/raw', { user: '' })).status).toBe(400);
    expect(await (await send('PUT', '/api/test/bytes', 'not json {')).json()).toEqual({ length: 10 });
  });

  it('documents the schemas in OpenAPI: body, params and query (with descriptions)', async () => {
    const doc = (await (await send('GET', '/api/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            parameters: {
              name: string;
              in: string;
              required: boolean;
              description?: string;
              schema: { type?: string; pattern?: string };
            }[];
            requestBody?: { content: Record<string, { schema: { required?: string[] } }> };
          }
        >
      >;
    };
    const op = doc.paths['/api/test/things/{id}']?.post;
    expect(op?.requestBody?.content['application/json']?.schema.required).toEqual(['name']);
    expect(op?.parameters).toEqual([
      expect.objectContaining({
        name: 'id',
        in: 'path',
        required: true,
        schema: expect.objectContaining({ pattern: '^t\\d+$' }),
      }),
      expect.objectContaining({ name: 'count', in: 'query', required: true, description: 'How many' }),
    ]);
  });
});

describe('every request is timed', () => {
  it('by route template, never the concrete path', async () => {
    await send('POST', '/api/test/things/t7?count=1', { name: 'y' });
    const text = renderFamilies(services.telemetry.families());
    expect(text).toContain('route="/api/test/things/:id"');
    expect(text).not.toContain('t7');
  });
});
