import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;

beforeAll(async () => {
  server = await startServerProcess();
}, 60_000);

afterAll(async () => {
  await server.stop();
});

describe('the server serves the studio', () => {
  it('answers index.html for studio paths, never cached, with a same-origin policy', async () => {
    for (const path of ['/', '/computes/cpu-pool', '/jobs/abc?x=1']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await res.text()).toContain('<div id="root"></div>');
    }
  });

  it('serves hashed assets for a year, and keeps API and application paths out of the fallback', async () => {
    const html = await (await fetch(server.url)).text();
    const script = /src="(\/assets\/index-[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.url}${script}`);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const api = await fetch(`${server.url}/api/no-such-route`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as any).error.code).toBe('RouteNotFound');
    expect((await fetch(`${server.url}/apps/default/nobody/terminal/`)).status).toBe(401);
  });

  it('never serves a file outside the studio folder, and survives malformed escapes', async () => {
    for (const path of ['/assets/../../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/%E0%A4%A']) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('<div id="root"></div>');
      expect(text).not.toContain('"dependencies"');
    }
  });
});
