/**
 * The scoring router's table (endpoint by name, its keys and deployments), kept in memory so a
 * request reads nothing from the store. An entry is dropped when this server writes an endpoint
 * or deployment (`invalidate`: the version moves), and lives at most `ttlMs`, which bounds how
 * long another server replica's write takes to show here (they share the database, not memory).
 */
export class RoutingCache<T> {
  private readonly entries = new Map<string, { value: T | undefined; version: number; atMs: number }>();
  private readonly loading = new Map<string, { version: number; promise: Promise<T | undefined> }>();
  private version = 0;

  constructor(
    private readonly load: (key: string) => Promise<T | undefined>,
    readonly ttlMs: number,
    private readonly nowMs: () => number,
  ) {}

  /** The cached value (absent ones too: a 404 storm reads the store once per TTL), else one load shared by concurrent callers. */
  async get(key: string): Promise<T | undefined> {
    const now = this.nowMs();
    const hit = this.entries.get(key);
    if (hit && hit.version === this.version && now - hit.atMs < this.ttlMs) return hit.value;
    const inFlight = this.loading.get(key);
    if (inFlight && inFlight.version === this.version) return inFlight.promise;
    const version = this.version;
    const promise = this.load(key).then(
      (value) => {
        // A load that began before a write is answered but not kept: it may predate the write.
        if (version === this.version) this.entries.set(key, { value, version, atMs: now });
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
        return value;
      },
      (err: unknown) => {
        if (this.loading.get(key)?.promise === promise) this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, { version, promise });
    return promise;
  }

  /** Something routing depends on changed on this server: every entry is read again. */
  invalidate(): void {
    this.version++;
    this.entries.clear();
  }
}
