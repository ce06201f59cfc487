/**
 * Runs synchronous SQLite work behind a Promise-returning repository method: a thrown error
 * becomes a rejected promise, as the Store interface promises (PostgreSQL will be truly async).
 */
export function settle<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
