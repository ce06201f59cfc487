import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/**
 * Sign-in: password hashing never stalls the server, and failures are slowed per user name and
 * per client address (429 with Retry-After, on the server's injectable clock).
 */

let server: ServerProcess;
const password = 'lena-has-a-long-password';

const login = (user: string, pass: string): Promise<Response> =>
  fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password: pass }),
  });

/** Moves the server's clock forward (HANGAR_TEST_CLOCK). */
async function advance(seconds: number): Promise<void> {
  expect((await api(server.url, 'POST', '/api/admin/clock', { advanceSeconds: seconds })).status).toBe(200);
}

/** Past every backoff and long enough for all failures to be forgotten. */
const forgetAll = (): Promise<void> => advance(3600);

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

beforeAll(async () => {
  server = await startServerProcess({ env: { HANGAR_TEST_CLOCK: '1' } });
  const made = await api(server.url, 'POST', '/api/users', { name: 'lena', password });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('login throttling', () => {
  it('keeps the health check fast while floods of wrong passwords are hashed', async () => {
    for (let i = 0; i < 5; i++) await fetch(`${server.url}/api/health`);
    const samples: number[] = [];
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      let flooding = true;
      // 50 wrong sign-ins at once, under distinct names: the address allows 20 to be hashed, the rest wait (429).
      const flood = Promise.all(
        Array.from({ length: 50 }, async (_, i) => {
          const res = await login(`ghost-${round}-${i}`, 'wrong password');
          statuses.push(res.status);
          if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
          await res.text();
        }),
      ).finally(() => (flooding = false));
      while (flooding) {
        const started = performance.now();
        const res = await fetch(`${server.url}/api/health`);
        await res.text();
        if (flooding) samples.push(performance.now() - started);
        expect(res.status).toBe(200);
      }
      await flood;
      await forgetAll();
    }
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    // Hashing really happened (401s), and the flood beyond the address's allowance was refused (429s).
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(3 * 20);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(samples.length).toBeGreaterThanOrEqual(10);
    expect(
      median(samples),
      `health latencies (ms): ${samples.map((x) => x.toFixed(1)).join(' ')}`,
    ).toBeLessThan(20);
  }, 120_000);

  it('answers 429 with Retry-After after repeated failures for a user, and lets the right password in once the wait is over', async () => {
    for (let i = 0; i < 5; i++) expect((await login('lena', `wrong-${i}`)).status).toBe(401);
    const refused = await login('lena', password);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    const body = (await refused.json()) as any;
    expect(body.error.code).toBe('TooManyRequests');
    expect(body.error.message).toContain('lena');
    // Each further failure doubles the wait.
    await advance(retryAfter);
    expect((await login('lena', 'wrong-again')).status).toBe(401);
    const longer = await login('lena', password);
    expect(longer.status).toBe(429);
    expect(Number(longer.headers.get('retry-after'))).toBeGreaterThan(retryAfter);
    await advance(Number(longer.headers.get('retry-after')));
    const ok = await login('lena', password);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('set-cookie')).toMatch(/^hangar_session=hgs_/);
    // Success clears the user's failures: the next mistake is a plain 401 again.
    expect((await login('lena', 'wrong')).status).toBe(401);
    expect((await login('lena', password)).status).toBe(200);
    await forgetAll();
  });

  it('slows an address that tries many user names, even for a user without failures', async () => {
    for (let i = 0; i < 20; i++) expect((await login(`spray-${i}`, 'guess')).status).toBe(401);
    const refused = await login('lena', password);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await advance(Number(refused.headers.get('retry-after')));
    expect((await login('lena', password)).status).toBe(200);
    await forgetAll();
  });
});
