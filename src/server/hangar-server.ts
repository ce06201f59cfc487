import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { HangarConfig } from '../config/config.js';
import { ShiftableClock, systemClock, type Clock } from '../domain/clock.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';
import { createApp } from './http/app.js';
import { appUpgradeHandler } from './http/app-proxy.js';
import { identifyCaller } from './http/caller.js';
import { createLogger, type Logger } from './logging/logger.js';
import { LocalProvider } from '../providers/local/local-provider.js';
import type { Provider } from '../providers/provider.js';
import { inheritedEnv } from '../config/config.js';
import { LogStore } from './jobs/log-store.js';
import { Signals } from './jobs/signals.js';
import { nodeHealthTick } from './loops/node-health-loop.js';
import { nodePoolTick, type PoolPlumbing } from './loops/node-pool-loop.js';
import { provisioningTick } from './loops/provisioning-loop.js';
import { schedulerTick } from './loops/scheduler-loop.js';
import { orphanSweepTick } from './loops/orphan-sweep-loop.js';
import { randomPreemptionTick } from './loops/random-preemption-loop.js';
import { ReconcileLoop } from './loops/reconcile-loop.js';
import { instanceTick } from './loops/instance-loop.js';
import { SecretBox } from './secrets/secret-box.js';
import type { ServiceContext } from './services/service-context.js';
import { createServices, type Services } from './services/services.js';
import { version } from './version.js';

/** A running server: its URL and how to stop it. */
export interface RunningServer {
  url: string;
  services: Services;
  close(): Promise<void>;
}

/** Options mostly for tests: a fake clock, a quiet logger. */
export interface ServerOptions {
  clock?: Clock;
  logger?: Logger;
  /** Source of randomness (random preemption); Math.random by default. */
  random?: () => number;
}

function listen(fetch: (req: Request) => Response | Promise<Response>, host: string, port: number): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: host, port }, (info: AddressInfo) => resolve({ server, port: info.port }));
    server.once('error', reject);
  });
}

/** The providers this server can start nodes with (local now; ssh and slurm later). */
function providerPlumbing(config: HangarConfig): PoolPlumbing {
  const local = new LocalProvider(join(config.home, 'nodes'), inheritedEnv());
  const providers = new Map<string, Provider>([[local.name, local]]);
  const agentArgs = [...(config.jobs.pipFindLinks ? ['--pip-find-links', config.jobs.pipFindLinks] : []), ...(config.jobs.pipIndexUrl ? ['--pip-index-url', config.jobs.pipIndexUrl] : [])];
  return {
    agentArgs,
    providers: [...providers.values()],
    providerFor: () => local,
    providerNamed: (name) => providers.get(name) ?? local,
  };
}

/** Opens the store, starts the loops and the HTTP API; writes HANGAR_HOME/server.json with the URL. */
export async function startServer(config: HangarConfig, options: ServerOptions = {}): Promise<RunningServer> {
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  const log = options.logger ?? createLogger(config.logLevel);
  const store: Store = new SqliteStore(join(config.home, 'hangar.db'));
  const schemaVersion = await store.migrate();
  const loops: ReconcileLoop[] = [];
  let publicUrl = '';
  const ctx: ServiceContext = {
    store,
    config,
    clock: options.clock ?? (config.testClock ? new ShiftableClock() : systemClock),
    secrets: SecretBox.open(config.home),
    wake: () => loops.forEach((l) => l.wake()),
    logs: new LogStore(join(config.home, 'jobs')),
    signals: new Signals(),
    publicUrl: () => publicUrl,
  };
  if (config.testClock) log.warn('testClock is on: POST /api/admin/clock can move this server\'s clock forward (for tests only)');
  const services = createServices(ctx);
  await services.workspaces.ensureDefault();
  const plumbing = providerPlumbing(config);
  const startedAt = ctx.clock.now();
  const interval = config.reconcileIntervalMs;
  loops.push(new ReconcileLoop('provisioning', () => provisioningTick(ctx, async (id) => (await store.nodes.all({ computeId: id })).length), interval, log));
  loops.push(new ReconcileLoop('scheduler', () => schedulerTick(ctx), interval, log));
  loops.push(new ReconcileLoop('node-pool', () => nodePoolTick(ctx, plumbing), interval, log));
  loops.push(new ReconcileLoop('instances', () => instanceTick(ctx), interval, log));
  loops.push(new ReconcileLoop('node-health', nodeHealthTick(ctx, (n) => plumbing.providerNamed(n), startedAt), interval, log));
  const app = createApp(services, version, (msg, err) => log.error(msg, { error: (err as Error).stack ?? String(err) }));
  const { server, port } = await listen(app.fetch, config.host, config.port);
  server.on('upgrade', appUpgradeHandler(services, identifyCaller));
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // Agents and jobs on this host reach the server on loopback even when it listens on all interfaces.
  publicUrl = config.host === '0.0.0.0' || config.host === '::' ? `http://127.0.0.1:${port}` : url;
  writeFileSync(join(config.home, 'server.json'), JSON.stringify({ url, pid: process.pid, schemaVersion }, null, 2));
  loops.forEach((l) => l.start());
  // Periodic, not woken by every change: listing every provider's nodes is the sweep's whole cost.
  const sweeper = new ReconcileLoop('orphan-sweep', () => orphanSweepTick(ctx, plumbing.providers), interval * 10, log);
  sweeper.start();
  if (config.locations.some((l) => l.lowPriorityPreemption)) {
    const chaos = new ReconcileLoop('random-preemption', randomPreemptionTick(ctx, options.random ?? Math.random), interval, log);
    loops.push(chaos);
    chaos.start();
  }
  log.info('hangar server listening', { url, home: config.home, schemaVersion });
  return {
    url,
    services,
    async close() {
      await Promise.all([...loops, sweeper].map((l) => l.stop()));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Agents' long polls would hold the close for up to leaseWaitSeconds; they reconnect anyway.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      await store.close();
    },
  };
}
