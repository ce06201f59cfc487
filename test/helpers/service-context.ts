import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, type HangarConfig } from '../../src/config/config-schema.js';
import { FakeClock } from '../../src/domain/clock.js';
import type { ComputeRecord, ComputeSpec } from '../../src/domain/compute/compute-record.js';
import type { ComputeType } from '../../src/domain/compute/compute-kinds.js';
import type { NodeRecord } from '../../src/domain/nodes/node-record.js';
import { LogStore } from '../../src/server/jobs/log-store.js';
import { Signals } from '../../src/server/jobs/signals.js';
import type { Logger } from '../../src/server/logging/logger.js';
import { SecretBox } from '../../src/server/secrets/secret-box.js';
import type { ServiceContext } from '../../src/server/services/service-context.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** A service context for unit tests of services and loops: a real in-memory SQLite store, a fake clock. */
export interface TestContext {
  ctx: ServiceContext;
  store: SqliteStore;
  clock: FakeClock;
  /** How many times something called `ctx.wake()`. */
  wakes(): number;
  /** Closes the store and removes the temporary home. */
  close(): Promise<void>;
}

/** Builds a migrated in-memory store, a fake clock and a temporary home; `config` overrides defaults. */
export async function testContext(
  config: Partial<Record<keyof HangarConfig, unknown>> = {},
): Promise<TestContext> {
  const home = mkdtempSync(join(tmpdir(), 'hangar-ctx-'));
  const store = new SqliteStore(':memory:');
  await store.migrate();
  const clock = new FakeClock();
  let wakes = 0;
  const ctx: ServiceContext = {
    store,
    config: configSchema.parse({ home, ...config }),
    clock,
    secrets: SecretBox.open(home),
    wake: () => void wakes++,
    logs: new LogStore(join(home, 'jobs')),
    signals: new Signals(),
    publicUrl: () => 'http://127.0.0.1:1',
  };
  return {
    ctx,
    store,
    clock,
    wakes: () => wakes,
    async close() {
      await store.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A compute record as the API would have stored it (Succeeded unless told otherwise). */
export function computeRecord(
  name: string,
  computeType: ComputeType,
  properties: Record<string, unknown>,
  over: Partial<ComputeRecord> = {},
): ComputeRecord {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id: `id-${name}`,
    workspace: 'default',
    name,
    // A loose bag on purpose (tests give only what they need): typed as the kind's properties.
    spec: {
      computeType,
      location: 'local',
      tags: {},
      identity: { type: 'None' },
      properties: properties as ComputeSpec['properties'],
      secretPaths: [],
    } as ComputeSpec,
    status: { provisioningState: 'Succeeded', provisioningErrors: [], observed: {} },
    createdAt: at,
    modifiedAt: at,
    version: 1,
    ...over,
  };
}

/** A registered, idle node of cluster `cpu` with one slot, heard from at the epoch of the tests. */
export function registeredNode(id: string, over: Partial<NodeRecord> = {}): NodeRecord {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    id,
    workspace: 'default',
    computeId: 'id-cpu',
    computeName: 'cpu',
    provider: 'local',
    state: 'idle',
    slots: 1,
    createdAt: at,
    registeredAt: at,
    lastHeartbeatAt: at,
    version: 1,
    ...over,
  };
}

/** A logger that keeps what it is told, for assertions. */
export function memoryLogger(): Logger & {
  lines: { level: string; msg: string; fields: Record<string, unknown> }[];
} {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}): void =>
      void lines.push({ level, msg, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
