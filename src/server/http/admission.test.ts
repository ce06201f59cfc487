import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { ServerTelemetry } from '../metrics/server-telemetry.js';
import type { Services } from '../services/services.js';
import { AdmissionGate, admitted } from './admission.js';
import { createApp } from './app.js';
import { route, type RouteDef } from './route-def.js';

const gate = (concurrentWrites: number, queuedWrites: number, sliceMs: number): AdmissionGate =>
  new AdmissionGate({ concurrentWrites, queuedWrites, sliceMs });
const immediate = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A promise and its resolver, for work that ends when the test says so. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('AdmissionGate', () => {
  it('runs writes in arrival order, at most concurrentWrites at once', async () => {
    const g = gate(2, 100, 1000);
    const started: number[] = [];
    const ends = Array.from({ length: 5 }, deferred);
    let running = 0;
    let most = 0;
    const runs = ends.map((end, i) =>
      g.run(async () => {
        started.push(i);
        most = Math.max(most, ++running);
        await end.promise;
        running--;
      }),
    );
    await immediate();
    expect(started).toEqual([0, 1]);
    ends[1]?.resolve();
    await immediate();
    expect(started).toEqual([0, 1, 2]);
    for (const end of ends) end.resolve();
    await Promise.all(runs);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(2);
    expect(g.load).toEqual({ running: 0, waiting: 0 });
  });

  it('never starts a write in the task that asked, and gives the event loop a turn once a slice is spent', async () => {
    const order: string[] = [];
    const sliced = gate(1, 100, 0);
    const writes = ['w1', 'w2', 'w3'].map((w) => sliced.run(() => Promise.resolve(void order.push(w))));
    order.push('asked');
    setImmediate(() => order.push('read'));
    await Promise.all(writes);
    // A spent slice (0 ms): the read queued behind the first write's turn comes before the second.
    expect(order).toEqual(['asked', 'w1', 'read', 'w2', 'w3']);

    order.length = 0;
    const long = gate(1, 100, 60_000);
    const more = ['w1', 'w2', 'w3'].map((w) => long.run(() => Promise.resolve(void order.push(w))));
    setImmediate(() => order.push('read'));
    await Promise.all(more);
    await immediate();
    // Within a slice a finished write hands its turn straight on.
    expect(order).toEqual(['w1', 'w2', 'w3', 'read']);
  });

  it('refuses a write beyond queuedWrites with ServerBusy (503, Retry-After) without running it, and takes the next once there is room', async () => {
    const g = gate(1, 1, 1000);
    const ran: string[] = [];
    const first = g.run(() => Promise.resolve(void ran.push('first')));
    let refused: unknown;
    try {
      await g.run(() => Promise.resolve(void ran.push('second')));
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(HangarError);
    expect((refused as HangarError).code).toBe('ServerBusy');
    expect((refused as HangarError).status).toBe(503);
    expect((refused as HangarError).retryAfterSeconds).toBe(1);
    await first;
    await g.run(() => Promise.resolve(void ran.push('third')));
    expect(ran).toEqual(['first', 'third']);
  });

  it('frees the turn of a write that failed', async () => {
    const g = gate(1, 10, 1000);
    const failed = g.run(() => Promise.reject(new Error('boom')));
    const next = g.run(() => Promise.resolve('ran'));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
    expect(g.load).toEqual({ running: 0, waiting: 0 });
  });

  it('takes JSON writes only: not reads, byte streams or the agents’ protocol', () => {
    const base = { path: '/x', tag: 'T', summary: 's' };
    const handler = (): Promise<{ status: number }> => Promise.resolve({ status: 200 });
    expect(admitted({ ...base, method: 'put', action: 'Hangar/workspaces/jobs/write', handler })).toBe(true);
    expect(admitted({ ...base, method: 'delete', action: 'Hangar/workspaces/jobs/delete', handler })).toBe(
      true,
    );
    expect(admitted({ ...base, method: 'get', action: 'Hangar/workspaces/jobs/read', handler })).toBe(false);
    expect(admitted({ ...base, method: 'post', action: 'Hangar/nodes/lease/action', handler })).toBe(false);
    expect(
      admitted({
        ...base,
        method: 'put',
        action: 'Hangar/snapshots/write',
        raw: (c) => Promise.resolve(c.body(null)),
      }),
    ).toBe(false);
  });
});

describe('the gate in the app', () => {
  const audited: { status: number }[] = [];
  const services = {
    access: { recordAudit: (e: { status: number }) => Promise.resolve(void audited.push(e)) },
    telemetry: new ServerTelemetry(),
  } as unknown as Services;
  const hold = deferred();
  const routes: RouteDef[] = [
    route({
      method: 'put',
      path: '/api/test/slow/{id}',
      action: 'Test/slow/write',
      auth: 'public',
      tag: 'Test',
      summary: 'A write that waits until the test lets it end',
      body: z.object({ n: z.number() }),
      handler: async (i) => {
        await hold.promise;
        return { status: 201, body: { n: i.body.n } };
      },
    }),
    route({
      method: 'get',
      path: '/api/test/read',
      action: 'Test/read/read',
      auth: 'public',
      tag: 'Test',
      summary: 'A read',
      handler: () => Promise.resolve({ status: 200, body: { ok: true } }),
    }),
  ];
  const g = gate(1, 1, 5);
  const app = createApp(services, 'test', () => undefined, routes, g);
  /** Turns of the event loop until the gate holds `running` and `waiting` writes. */
  const until = async (running: number, waiting: number): Promise<void> => {
    while (g.load.running !== running || g.load.waiting !== waiting) await immediate();
  };
  const put = (id: number): Promise<Response> =>
    Promise.resolve(
      app.request(`/api/test/slow/${id}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n: id }),
      }),
    );

  it('answers reads while writes hold every turn, refuses a write past the queue with 503 ServerBusy (never 500), and runs the queued ones', async () => {
    const running = put(1);
    await until(1, 0);
    const queued = put(2);
    await until(1, 1);
    const refused = await put(3);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('ServerBusy');
    const read = await app.request('/api/test/read');
    expect(read.status).toBe(200);
    hold.resolve();
    expect((await running).status).toBe(201);
    const second = await queued;
    expect(second.status).toBe(201);
    expect(await second.json()).toEqual({ n: 2 });
    expect(audited.map((a) => a.status).sort()).toEqual([201, 201, 503]);
  });
});
