import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../domain/clock.js';
import { RoutingCache } from './routing-cache.js';

/** A store stand-in: a map whose reads are counted, and a load that can be held open. */
function table() {
  const rows = new Map<string, string>([['ep', 'v1']]);
  let reads = 0;
  let hold: Promise<void> | undefined;
  const load = async (k: string): Promise<string | undefined> => {
    reads++;
    const value = rows.get(k);
    await hold;
    return value;
  };
  return {
    rows,
    load,
    reads: () => reads,
    holdUntil: (p: Promise<void> | undefined) => {
      hold = p;
    },
  };
}

describe('RoutingCache (fake clock)', () => {
  it('reads the store once per TTL, then again', async () => {
    const clock = new FakeClock();
    const t = table();
    const cache = new RoutingCache(t.load, 1000, () => clock.elapsedMs());
    expect(await cache.get('ep')).toBe('v1');
    t.rows.set('ep', 'v2');
    clock.advance(999);
    expect(await cache.get('ep')).toBe('v1');
    expect(t.reads()).toBe(1);
    clock.advance(1);
    expect(await cache.get('ep')).toBe('v2');
    expect(t.reads()).toBe(2);
  });

  it('a local write (invalidate) is seen by the next request, TTL or not', async () => {
    const clock = new FakeClock();
    const t = table();
    const cache = new RoutingCache(t.load, 60_000, () => clock.elapsedMs());
    await cache.get('ep');
    t.rows.set('ep', 'v2');
    cache.invalidate();
    expect(await cache.get('ep')).toBe('v2');
  });

  it('caches absent names too, until a write', async () => {
    const clock = new FakeClock();
    const t = table();
    const cache = new RoutingCache(t.load, 1000, () => clock.elapsedMs());
    expect(await cache.get('new')).toBeUndefined();
    expect(await cache.get('new')).toBeUndefined();
    expect(t.reads()).toBe(1);
    t.rows.set('new', 'n1');
    cache.invalidate();
    expect(await cache.get('new')).toBe('n1');
  });

  it('concurrent misses share one load; a load overtaken by a write is answered but not kept', async () => {
    const clock = new FakeClock();
    const t = table();
    const cache = new RoutingCache(t.load, 60_000, () => clock.elapsedMs());
    let open!: () => void;
    t.holdUntil(new Promise<void>((r) => (open = r)));
    const a = cache.get('ep');
    const b = cache.get('ep');
    // The write lands while the load (which read v1) is still running.
    t.rows.set('ep', 'v2');
    cache.invalidate();
    t.holdUntil(undefined);
    open();
    expect(await a).toBe('v1');
    expect(await b).toBe('v1');
    expect(t.reads()).toBe(1);
    expect(await cache.get('ep')).toBe('v2');
    expect(t.reads()).toBe(2);
  });

  it('a failed load is not kept', async () => {
    const clock = new FakeClock();
    let fail = true;
    const cache = new RoutingCache(
      () => (fail ? Promise.reject(new Error('database is locked')) : Promise.resolve('ok')),
      60_000,
      () => clock.elapsedMs(),
    );
    await expect(cache.get('ep')).rejects.toThrow('locked');
    fail = false;
    expect(await cache.get('ep')).toBe('ok');
  });
});
