import type { Store } from './store.js';

/**
 * Tests only (config `testStoreLatencyMs`): a store whose every call outside a transaction first
 * waits `ms`. SQLite answers within the same turn of the event loop, so no other request or loop
 * can write between two store calls of one flow; a networked database (PostgreSQL) answers later,
 * and other writes land in between. With this, the SQLite store behaves that way too, so tests can
 * show what holds when they do (a PATCH's read and write with loop writes between them). Calls
 * inside `transaction` go straight through: a transaction must finish within one turn.
 */
export function withLatency(store: Store, ms: number): Store {
  let transactions = 0;
  const wait = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const wrapped = new Map<PropertyKey, unknown>();
  const wrap = (repo: object): object =>
    new Proxy(repo, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]): unknown =>
          transactions > 0
            ? value.apply(target, args)
            : wait().then(() => value.apply(target, args) as unknown);
      },
    });
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'transaction') {
        return async <T>(fn: () => Promise<T>): Promise<T> => {
          // The transaction starts after the wait, as its first statement would.
          if (transactions === 0) await wait();
          transactions++;
          try {
            return await target.transaction(fn);
          } finally {
            transactions--;
          }
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value === 'function') return (value as (...a: unknown[]) => unknown).bind(target);
      if (typeof value !== 'object' || value === null) return value;
      if (!wrapped.has(prop)) wrapped.set(prop, wrap(value));
      return wrapped.get(prop);
    },
  });
}
