import { describe, expect, it } from 'vitest';
import { HashSlots, hashPassword, verifyPassword } from './credentials.js';

describe('password hashing', () => {
  it('hashes with a fresh salt and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$[\w-]+\$[\w-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batter', a)).toBe(false);
  });

  it('says no for a user without a password or with a damaged hash', async () => {
    expect(await verifyPassword('anything', undefined)).toBe(false);
    expect(await verifyPassword('anything', 'plain$x')).toBe(false);
    expect(await verifyPassword('', 'scrypt$$')).toBe(false);
  });

  it('does not block the event loop while hashing', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await Promise.all(Array.from({ length: 8 }, () => hashPassword('p')));
    clearInterval(timer);
    // Synchronous scrypt would leave the timer no turn at all until every hash was done.
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('HashSlots', () => {
  it('runs at most its slots at once and every queued job in turn', async () => {
    const slots = new HashSlots(2);
    let running = 0;
    let most = 0;
    const done = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        slots.run(async () => {
          running++;
          most = Math.max(most, running);
          await hashPassword(String(i));
          running--;
          return i;
        }),
      ),
    );
    expect(done).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).toBe(2);
  });

  it('frees the slot when a job fails', async () => {
    const slots = new HashSlots(1);
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slots.run(() => Promise.resolve('next'))).toBe('next');
  });
});
