import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../domain/clock.js';
import { memoryLogger } from '../../../test/helpers/service-context.js';
import {
  alwaysOwned,
  backoffDelay,
  LoopRunner,
  nextPassDelay,
  readKey,
  type KeyOwnership,
  type LoopDefinition,
  type Requeue,
} from './loop-runner.js';

/** A definition over string keys whose behaviour each test sets; it records what ran, in order. */
function recorder(keys: string[], behave: (key: string) => Promise<Requeue> | Requeue = () => undefined) {
  const calls: string[] = [];
  let reads = 0;
  const definition: LoopDefinition<string[], string> = {
    name: 'test',
    intervalMs: 1000,
    read: () => {
      reads++;
      return Promise.resolve([...keys]);
    },
    keys: (snapshot) => snapshot,
    keyOf: (key) => key,
    reconcile: async (key) => {
      calls.push(key);
      return behave(key);
    },
  };
  return { definition, calls, reads: () => reads, keys };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Waits (yielding to timers and I/O) until `cond` holds; fails the test if it never does. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  if (!cond()) throw new Error(`never happened: ${what}`);
}

describe('backoff', () => {
  it('doubles per failure in a row from the base and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, 1000, 10_000))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000, 10_000,
    ]);
    expect(backoffDelay(500, 1000, 60_000)).toBe(60_000);
  });

  it('the next pass comes at the interval, or sooner when asked, never in the past', () => {
    expect(nextPassDelay(1000, undefined)).toBe(1000);
    expect(nextPassDelay(1000, 250)).toBe(250);
    expect(nextPassDelay(1000, 5000)).toBe(1000);
    expect(nextPassDelay(1000, -20)).toBe(0);
  });
});

describe('LoopRunner passes', () => {
  it('retries a failing key with growing backoff while the other keys are reconciled on every pass', async () => {
    const clock = new FakeClock();
    const log = memoryLogger();
    const loop = recorder(['a', 'b', 'c'], (key) => {
      if (key === 'b') throw new Error('backend of b is down');
    });
    const runner = new LoopRunner(loop.definition, clock, log);

    expect(await runner.pass()).toBe(1000); // b asks for a pass when its backoff ends
    expect(loop.calls).toEqual(['a', 'b', 'c']);
    expect(runner.backingOff().get('b')).toEqual({ failures: 1, retryAtMs: 1000 });

    loop.calls.length = 0;
    clock.advance(400);
    expect(await runner.pass()).toBe(600);
    expect(loop.calls).toEqual(['a', 'c']); // b waits out its backoff; the others go on

    loop.calls.length = 0;
    clock.advance(600);
    await runner.pass();
    expect(loop.calls).toEqual(['a', 'b', 'c']);
    expect(runner.backingOff().get('b')).toEqual({ failures: 2, retryAtMs: 1000 + 2000 });

    loop.calls.length = 0;
    clock.advance(1000);
    await runner.pass();
    expect(loop.calls).toEqual(['a', 'c']); // 2 s now, not 1 s
    clock.advance(1000);
    loop.calls.length = 0;
    await runner.pass();
    expect(loop.calls).toEqual(['a', 'b', 'c']);
    expect(runner.backingOff().get('b')?.failures).toBe(3);

    // Each failure is logged with its key.
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => l.fields.key)).toEqual(['b', 'b', 'b']);
    expect(errors.map((l) => l.fields.retryInMs)).toEqual([1000, 2000, 4000]);
    expect(String(errors[0]?.fields.error)).toContain('backend of b is down');
  });

  it('a success resets the backoff: the next failure waits the base again', async () => {
    const clock = new FakeClock();
    let failing = true;
    const loop = recorder(['a'], () => {
      if (failing) throw new Error('no');
    });
    const runner = new LoopRunner(loop.definition, clock, memoryLogger());
    await runner.pass();
    clock.advance(1000);
    await runner.pass();
    expect(runner.backingOff().get('a')?.failures).toBe(2);
    failing = false;
    clock.advance(2000);
    await runner.pass();
    expect(runner.backingOff().size).toBe(0);
    failing = true;
    await runner.pass();
    expect(runner.backingOff().get('a')).toEqual({ failures: 1, retryAtMs: clock.elapsedMs() + 1000 });
  });

  it('forgets the backoff of a key that is gone', async () => {
    const clock = new FakeClock();
    const loop = recorder(['a', 'b'], (key) => {
      if (key === 'a') throw new Error('no');
    });
    const runner = new LoopRunner(loop.definition, clock, memoryLogger());
    await runner.pass();
    expect([...runner.backingOff().keys()]).toEqual(['a']);
    loop.keys.splice(0, 1);
    await runner.pass();
    expect(runner.backingOff().size).toBe(0);
  });

  it('answers the soonest requeue any key asked for', async () => {
    const loop = recorder(['a', 'b', 'c'], (key) => ({ a: 700, b: undefined, c: 300 })[key]);
    const runner = new LoopRunner(loop.definition, new FakeClock(), memoryLogger());
    expect(await runner.pass()).toBe(300);
    const quiet = new LoopRunner(recorder(['a']).definition, new FakeClock(), memoryLogger());
    expect(await quiet.pass()).toBeUndefined();
  });

  it('a pass that cannot read its snapshot reconciles nothing, is logged, and backs off', async () => {
    const clock = new FakeClock();
    const log = memoryLogger();
    const loop = recorder(['a']);
    let broken = true;
    const runner = new LoopRunner(
      {
        ...loop.definition,
        read: () => (broken ? Promise.reject(new Error('database is locked')) : loop.definition.read()),
      },
      clock,
      log,
    );
    expect(await runner.pass()).toBe(1000);
    expect(loop.calls).toEqual([]);
    expect(log.lines[0]?.fields.key).toBe(readKey);
    broken = false;
    await runner.pass(); // still backing off: not even read
    expect(loop.reads()).toBe(0);
    clock.advance(1000);
    await runner.pass();
    expect(loop.calls).toEqual(['a']);
    expect(runner.backingOff().size).toBe(0);
  });

  it('keeps no state outside the runner: two runners of one definition back off independently', async () => {
    const clock = new FakeClock();
    const loop = recorder(['a'], () => {
      throw new Error('no');
    });
    const one = new LoopRunner(loop.definition, clock, memoryLogger());
    const two = new LoopRunner(loop.definition, clock, memoryLogger());
    await one.pass();
    await two.pass();
    expect(loop.calls).toEqual(['a', 'a']);
  });
});

describe('LoopRunner scheduling', () => {
  it('stop() waits for the running pass to end, and no pass starts after it', async () => {
    const gate = deferred();
    const events: string[] = [];
    const loop = recorder(['a'], async () => {
      events.push('reconcile started');
      await gate.promise;
      events.push('reconcile ended');
    });
    const runner = new LoopRunner({ ...loop.definition, intervalMs: 10 }, new FakeClock(), memoryLogger());
    runner.start();
    await until(() => events.length === 1, 'the first pass starts');
    const stopped = runner.stop().then(() => events.push('stopped'));
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual(['reconcile started']);
    gate.resolve();
    await stopped;
    expect(events).toEqual(['reconcile started', 'reconcile ended', 'stopped']);
    await new Promise((r) => setTimeout(r, 50)); // several intervals
    expect(loop.reads()).toBe(1);
    runner.wake(); // a wake after stop does nothing
    expect(loop.reads()).toBe(1);
  });

  it('wake-ups during a pass coalesce into one more pass; passes never overlap', async () => {
    let gate = deferred();
    let inside = 0;
    let overlapped = false;
    const loop = recorder(['a'], async () => {
      inside++;
      overlapped ||= inside > 1;
      await gate.promise;
      inside--;
    });
    // A long interval: every pass after the first comes from a wake-up.
    const runner = new LoopRunner(
      { ...loop.definition, intervalMs: 60_000 },
      new FakeClock(),
      memoryLogger(),
    );
    runner.start();
    await until(() => loop.calls.length === 1, 'the first pass starts');
    for (let i = 0; i < 5; i++) runner.wake();
    const first = gate;
    gate = deferred();
    first.resolve();
    await until(() => loop.calls.length === 2, 'the coalesced pass starts');
    gate.resolve();
    await new Promise((r) => setTimeout(r, 30));
    expect(loop.reads()).toBe(2);
    expect(overlapped).toBe(false);
    // Idle now: a wake runs a pass at once.
    runner.wake();
    await until(() => loop.reads() === 3, 'a wake-up when idle runs a pass');
    await runner.stop();
  });

  it('a burst of wake-ups while idle runs one pass, and a stop cancels a pass on its way', async () => {
    const loop = recorder(['a']);
    const runner = new LoopRunner(
      { ...loop.definition, intervalMs: 60_000 },
      new FakeClock(),
      memoryLogger(),
    );
    runner.start();
    await until(() => loop.reads() === 1, 'the first pass');
    await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 20; i++) runner.wake();
    await until(() => loop.reads() === 2, 'the burst runs a pass');
    await new Promise((r) => setTimeout(r, 30));
    expect(loop.reads()).toBe(2);
    runner.wake();
    await runner.stop();
    await new Promise((r) => setTimeout(r, 30));
    expect(loop.reads()).toBe(2);
    // Started again after a stop, it runs at once (no wake-up left pending from before).
    runner.start();
    await until(() => loop.reads() === 3, 'a restart runs a pass');
    await runner.stop();
  });

  it('a failing key never stops the runner: it keeps passing on its timer', async () => {
    const loop = recorder(['a', 'b'], (key) => {
      if (key === 'a') throw new Error('no');
    });
    // A backoff shorter than the interval, so the failing key is tried again by the timer too.
    const runner = new LoopRunner(
      { ...loop.definition, intervalMs: 5, backoff: { baseMs: 1, maxMs: 1 } },
      new FakeClock(),
      memoryLogger(),
    );
    runner.start();
    await until(() => loop.calls.filter((k) => k === 'b').length >= 3, 'b is reconciled on several passes');
    await runner.stop();
    expect(loop.calls.filter((k) => k === 'a').length).toBeGreaterThanOrEqual(1);
  });
});

describe('LoopRunner with several replicas (KeyOwnership)', () => {
  it('reconciles only the keys this replica holds, tells the ownership every key of each pass, and backs off when ownership cannot be told', async () => {
    const loop = recorder(['a', 'b', 'c']);
    const claims: string[][] = [];
    let held = new Set(['a', 'c']);
    let down = false;
    const ownership: KeyOwnership = {
      claim: (name, keys) => {
        expect(name).toBe('test');
        claims.push([...keys]);
        return down ? Promise.reject(new Error('database unreachable')) : Promise.resolve(held);
      },
    };
    const log = memoryLogger();
    const runner = new LoopRunner(loop.definition, new FakeClock(), log, ownership);
    await runner.pass();
    expect(loop.calls).toEqual(['a', 'c']);
    expect(claims).toEqual([['a', 'b', 'c']]);
    // The replica holding b died: b is claimed on the next pass and reconciled here.
    held = new Set(['a', 'b', 'c']);
    loop.calls.length = 0;
    await runner.pass();
    expect(loop.calls).toEqual(['a', 'b', 'c']);
    // No answer from the database: nothing is reconciled (another replica may hold the keys).
    down = true;
    loop.calls.length = 0;
    expect(await runner.pass()).toBe(1000);
    expect(loop.calls).toEqual([]);
    expect(runner.backingOff().has(readKey)).toBe(true);
  });

  it('a single server owns every key', async () => {
    expect([...(await alwaysOwned.claim('x', ['k1', 'k2']))]).toEqual(['k1', 'k2']);
  });
});
