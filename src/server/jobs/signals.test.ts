import { describe, expect, it } from 'vitest';
import { Signals } from './signals.js';

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('Signals.watchNodeWork (a long poll listening before it looks)', () => {
  it('wakes a wait with work signalled before the wait began, and one signalled during it', async () => {
    const signals = new Signals();
    const early = signals.watchNodeWork('n1');
    // Work assigned while the poll was still looking in the store.
    signals.nodeWork('n1');
    expect(await settled(early.wait(60_000))).toBe(true);
    early.stop();

    const later = signals.watchNodeWork('n1');
    const waiting = later.wait(60_000);
    signals.nodeWork('n2');
    expect(await settled(waiting)).toBe(false);
    signals.nodeWork('n1');
    expect(await settled(waiting)).toBe(true);
    later.stop();
  });

  it('ends a wait after its time or on abort, and stops listening when stopped', async () => {
    const signals = new Signals();
    const timed = signals.watchNodeWork('n1');
    const t0 = performance.now();
    await timed.wait(20);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    timed.stop();

    const aborted = signals.watchNodeWork('n1');
    const abort = new AbortController();
    const waiting = aborted.wait(60_000, abort.signal);
    abort.abort();
    expect(await settled(waiting)).toBe(true);
    aborted.stop();

    const stopped = signals.watchNodeWork('n1');
    stopped.stop();
    signals.nodeWork('n1');
    expect(await settled(stopped.wait(30))).toBe(false);
  });
});
