import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, maxHeaderSize } from 'node:http';
import { getRequestListener, type ServerType } from '@hono/node-server';
import type { HangarConfig } from '../config/config.js';
import { ShiftableClock, systemClock, type Clock } from '../domain/clock.js';
import type { Store } from '../store/store.js';
import { withLatency } from '../store/latency-store.js';
import { createApp } from './http/app.js';
import { NodeReplicaHost } from './endpoints/node-replicas.js';
import { AdmissionGate } from './http/admission.js';
import { appUpgradeHandler } from './http/app-proxy.js';
import { answerClientError, requestErrorResponse } from './http/transport-errors.js';
import { assertHomeWritable } from './home-check.js';
import { createLogger, type Logger } from './logging/logger.js';
import { LocalProvider } from '../providers/local/local-provider.js';
import { LocalSlurmCommands } from '../providers/slurm/slurm-commands.js';
import { SlurmProvider } from '../providers/slurm/slurm-provider.js';
import { SshSlurmCommands } from '../providers/slurm/ssh-slurm-commands.js';
import { SshProvider } from '../providers/ssh/ssh-provider.js';
import type { SshTarget } from '../providers/ssh/ssh-connection.js';
import { isRecordOf, type ComputeRecordOf } from '../domain/compute/compute-record.js';
import type { DatastoreDoc } from '../domain/assets/datastore-spec.js';
import { findVmSize } from '../domain/compute/vm-sizes.js';
import type { Provider } from '../providers/provider.js';
import { inheritedEnv } from '../config/config.js';
import { LogStore } from './jobs/log-store.js';
import { ClusterSignals, clusterWake } from './cluster/cluster-bus.js';
import { wakes } from './loops/wake-scope.js';
import { openServerStore } from './cluster/open-store.js';
import { nodeHealthLoop } from './loops/node-health-loop.js';
import { nodePoolLoop, type PoolPlumbing } from './loops/node-pool-loop.js';
import { provisioningLoop } from './loops/provisioning-loop.js';
import { schedulerLoop } from './loops/scheduler-loop.js';
import { orphanSweepLoop } from './loops/orphan-sweep-loop.js';
import { randomPreemptionLoop } from './loops/random-preemption-loop.js';
import { LoopRunner, type Loop } from './loops/loop-runner.js';
import { instanceLoop } from './loops/instance-loop.js';
import { LocalReplicaHost, type ReplicaIsolation } from '../providers/local/local-replicas.js';
import { createSandbox } from '../agent/sandbox.js';
import { ServingPool } from './endpoints/serving-pool.js';
import { servingLoop } from './endpoints/serving-loop.js';
import { pipelineLoop } from './pipelines/pipeline-loop.js';
import { sweepLoop } from './sweeps/sweep-loop.js';
import { SecretBox } from './secrets/secret-box.js';
import type { ServiceContext } from './services/service-context.js';
import { createServices, type Services } from './services/services.js';
import { version } from './version.js';
import { startTls } from './tls/tls-start.js';

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

function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  host: string,
  port: number,
): Promise<{ server: ServerType; port: number }> {
  return new Promise((resolve, reject) => {
    // Requests Node or the adapter refuse before any route (oversized headers, a bad Host) are answered in the one error shape too.
    const listener = getRequestListener(fetch, { hostname: host, errorHandler: requestErrorResponse });
    const server = createServer((req, res) => void listener(req, res));
    server.on('clientError', answerClientError(maxHeaderSize));
    server.once('error', reject);
    server.listen(port, host, () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });
}

/** The providers this server can start nodes with: local processes, and one Slurm provider per Slurm-backed compute. */
function providerPlumbing(
  config: HangarConfig,
  ctx: ServiceContext,
): PoolPlumbing & {
  local: LocalProvider;
  probeMachinePaths: NonNullable<ServiceContext['probeMachinePaths']>;
} {
  const env = inheritedEnv();
  const local = new LocalProvider(join(config.home, 'nodes'), env);
  const providers = new Map<string, Provider>([[local.name, local]]);
  // Jobs on local nodes must not read the server's data folder (database, secrets key, other jobs).
  const agentArgs = [
    '--protect',
    config.home,
    ...(config.jobs.pipFindLinks ? ['--pip-find-links', config.jobs.pipFindLinks] : []),
    ...(config.jobs.pipIndexUrl ? ['--pip-index-url', config.jobs.pipIndexUrl] : []),
    ...(config.jobs.runAsUser ? ['--job-user', config.jobs.runAsUser] : []),
    ...(config.jobs.insecureNoSandbox ? ['--insecure-no-sandbox'] : []),
    ...config.jobs.envPassthrough.flatMap((name) => ['--job-env', name]),
  ];
  const slurmFor = (compute: ComputeRecordOf<'Slurm'>): SlurmProvider => {
    const name = `slurm:${compute.id}`;
    const existing = providers.get(name);
    if (existing instanceof SlurmProvider) return existing;
    const p = compute.spec.properties;
    // A VM size asks each allocation for that many CPUs (its cores drive quota too).
    const cpus = p.vmSize ? findVmSize(p.vmSize)?.vCPUs : undefined;
    // sbatch here (SLURM_CONF), or over SSH on a login node with the stored key.
    const commands = p.loginHost
      ? new SshSlurmCommands(
          () => loginTarget(ctx, compute.id),
          p.loginHost,
          p.slurmConf,
          join(config.home, 'agent-bundle'),
        )
      : new LocalSlurmCommands(env, p.slurmConf);
    const provider = new SlurmProvider(
      name,
      commands,
      {
        partition: p.partition,
        ...(p.qos ? { qos: p.qos } : {}),
        ...(p.account ? { account: p.account } : {}),
        ...(cpus ? { cpusPerNode: cpus } : {}),
      },
      join(config.home, 'nodes'),
    );
    providers.set(name, provider);
    return provider;
  };
  const sshFor = (compute: ComputeRecordOf<'VirtualMachine'>): SshProvider => {
    const name = `ssh:${compute.id}`;
    const existing = providers.get(name);
    if (existing instanceof SshProvider) return existing;
    const provider = new SshProvider(
      name,
      () => sshTarget(ctx, compute.id),
      join(config.home, 'agent-bundle'),
      compute.id,
    );
    providers.set(name, provider);
    return provider;
  };
  return {
    local,
    agentArgs,
    agentArgsFor: (compute) =>
      isRecordOf(compute, 'VirtualMachine')
        ? agentArgs.filter((a, i) => a !== '--protect' && agentArgs[i - 1] !== '--protect')
        : agentArgs,
    get providers() {
      return [...providers.values()];
    },
    providerFor: (compute) =>
      isRecordOf(compute, 'Slurm')
        ? slurmFor(compute)
        : isRecordOf(compute, 'VirtualMachine')
          ? sshFor(compute)
          : local,
    providerNamed: (name) => providers.get(name) ?? local,
    verify: async (compute) => {
      if (isRecordOf(compute, 'Slurm')) {
        const slurm = slurmFor(compute);
        await slurm.verify();
        return { datastores: await datastoreReach(ctx, compute, slurm, `the cluster (${slurm.where})`) };
      }
      if (!isRecordOf(compute, 'VirtualMachine')) return undefined;
      // A size that names GPUs is checked against what the machine's nvidia-smi reports.
      const sizeName = compute.spec.properties.virtualMachineSize;
      const size = sizeName ? findVmSize(sizeName) : undefined;
      const checked = await sshFor(compute).verify(size ? { name: size.name, gpus: size.gpus } : undefined);
      return {
        sshHostKey: checked.hostKey,
        nodeVersion: checked.node,
        gpus: checked.gpus.length,
        datastores: await datastoreReach(ctx, compute, sshFor(compute), 'the machine'),
      };
    },
    // A machine that cannot be asked now (down, refusing) leaves the check to its agent.
    probeMachinePaths: async (compute, paths) => {
      const provider = isRecordOf(compute, 'VirtualMachine')
        ? sshFor(compute)
        : isRecordOf(compute, 'Slurm')
          ? slurmFor(compute)
          : undefined;
      return provider?.probePaths(paths).catch(() => undefined);
    },
    register: (computes) => {
      for (const c of computes) {
        if (isRecordOf(c, 'Slurm')) slurmFor(c);
        else if (isRecordOf(c, 'VirtualMachine')) sshFor(c);
      }
    },
  };
}

/**
 * Which of the workspace's hangar_path datastores an attached machine reaches through its own
 * mount (the same absolute folder, readable by its user), checked when it is attached or updated:
 * `{name: 'reachable' | 'not reachable: why'}`, kept on the compute; each one it cannot reach is a
 * warning event on the compute. Jobs are checked again, path by path, when submitted.
 */
async function datastoreReach(
  ctx: ServiceContext,
  compute: ComputeRecordOf<'VirtualMachine'> | ComputeRecordOf<'Slurm'>,
  provider: Pick<SshProvider, 'probePaths'>,
  /** 'the machine', 'the cluster (login node u@h)', for messages. */
  there: string,
): Promise<Record<string, string>> {
  const folders = (await ctx.store.assets.all('datastore', compute.workspace, { view: 'All' })).flatMap(
    (d) => {
      const doc = d.doc as DatastoreDoc;
      return doc.datastoreType === 'HangarPath' && doc.path ? [{ name: d.name, path: doc.path }] : [];
    },
  );
  const found = await provider.probePaths(folders.map((f) => f.path));
  const user = isRecordOf(compute, 'VirtualMachine')
    ? `user '${compute.spec.properties.administratorAccount.username}'`
    : 'its user';
  const out: Record<string, string> = {};
  for (const [i, f] of folders.entries()) {
    const probe = found[i];
    const why =
      probe?.kind === 'folder'
        ? undefined
        : probe?.kind === 'file'
          ? `${f.path} is a file on ${there}`
          : probe?.kind === 'unreadable'
            ? `${user} may not read ${f.path} on ${there}`
            : `${f.path} does not exist on ${there} (or a folder on the way is closed to ${user})`;
    out[f.name] = why ? `not reachable: ${why}` : 'reachable';
    if (why)
      await ctx.store.events.append({
        at: ctx.clock.now().toISOString(),
        workspace: compute.workspace,
        resource: `compute/${compute.name}`,
        reason: 'DatastoreNotReachable',
        message: `datastore '${f.name}': ${why}; jobs on this compute cannot use it until the folder is mounted there.`,
        level: 'Warning',
      });
  }
  return out;
}

/** What replicas inherit: a PATH and a locale, nothing of the server's own settings or tokens. */
function replicaEnv(): Record<string, string | undefined> {
  const env = inheritedEnv();
  return { PATH: env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: env.LANG ?? 'C.UTF-8' };
}

/**
 * Replicas run user code as jobs do: in the agent's bubblewrap sandbox with HANGAR_HOME hidden
 * (and as the unprivileged job user when the server runs as root); without a usable sandbox they
 * do not start, unless the operator chose jobs.insecureNoSandbox.
 */
function replicaIsolation(config: HangarConfig): ReplicaIsolation {
  const sandbox = createSandbox({
    protect: [config.home],
    path: inheritedEnv().PATH,
    ...(config.jobs.insecureNoSandbox ? { insecureNoSandbox: true } : {}),
    ...(config.jobs.runAsUser ? { jobUser: config.jobs.runAsUser } : {}),
  });
  if (sandbox.problem) return { problem: sandbox.problem };
  if (sandbox.kind === 'none') return {};
  return {
    wrap: (file, args, visible) => sandbox.wrap(file, args, visible),
    ...(sandbox.user ? { owner: { uid: sandbox.user.uid, gid: sandbox.user.gid } } : {}),
  };
}

/** A Slurm login node `user@host[:port]` with the compute's stored private key. */
async function loginTarget(ctx: ServiceContext, computeId: string): Promise<SshTarget> {
  const compute = await ctx.store.computes.getById(computeId);
  const login =
    (compute && isRecordOf(compute, 'Slurm') ? compute.spec.properties.loginHost : undefined) ?? '';
  const [user = '', hostPort = ''] = login.split('@');
  const [host = '', port = '22'] = hostPort.split(':');
  const secrets = await ctx.store.secrets.list(computeId);
  const key = secrets.sshPrivateKey ? ctx.secrets.decrypt(secrets.sshPrivateKey) : undefined;
  const pinned = compute?.status.observed.sshHostKey;
  return {
    host,
    port: Number(port),
    username: user,
    ...(key ? { privateKey: key } : {}),
    ...(typeof pinned === 'string' ? { pinnedHostKey: pinned } : {}),
  };
}

/** Login details of an attached machine: address and user from its spec, secrets decrypted, host key as pinned. */
async function sshTarget(ctx: ServiceContext, computeId: string): Promise<SshTarget> {
  const compute = await ctx.store.computes.getById(computeId);
  if (!compute) throw new Error(`compute ${computeId} no longer exists`);
  if (!isRecordOf(compute, 'VirtualMachine'))
    throw new Error(`compute ${computeId} is a ${compute.spec.computeType}, not an attached machine`);
  const p = compute.spec.properties;
  const secrets = Object.fromEntries(
    Object.entries(await ctx.store.secrets.list(computeId)).map(([k, v]) => [k, ctx.secrets.decrypt(v)]),
  );
  const pinned = compute.status.observed.sshHostKey;
  return {
    host: p.address,
    port: p.sshPort,
    username: p.administratorAccount.username,
    ...(secrets['administratorAccount.password']
      ? { password: secrets['administratorAccount.password'] }
      : {}),
    ...(secrets['administratorAccount.privateKeyData']
      ? { privateKey: secrets['administratorAccount.privateKeyData'] }
      : {}),
    ...(secrets['administratorAccount.privateKeyPassphrase']
      ? { passphrase: secrets['administratorAccount.privateKeyPassphrase'] }
      : {}),
    ...(typeof pinned === 'string' ? { pinnedHostKey: pinned } : {}),
  };
}

/**
 * First start: the admin's credentials go once to HANGAR_HOME/admin-credentials.json (0600) and
 * to stderr. With --insecure-local, anonymous calls act as that admin (said loudly).
 */
async function bootstrapAccess(services: Services, config: HangarConfig, log: Logger): Promise<void> {
  const boot = await services.access.bootstrap();
  if (boot) {
    const file = join(config.home, 'admin-credentials.json');
    writeFileSync(file, JSON.stringify(boot, null, 2), { mode: 0o600, flag: 'wx' });
    // Printed once where a person sees it; a redirected stderr (a log file) gets only the path.
    if (process.stderr.isTTY)
      process.stderr.write(
        `\nHangar created the admin user. Shown once, and kept only in ${file} (mode 0600):\n  user: ${boot.user}\n  password: ${boot.password}\n  token: ${boot.token}\nUse the token as HANGAR_TOKEN, or \`hangar login\`.\n\n`,
      );
    else
      log.info('created the admin user; its password and token are in the credentials file (mode 0600)', {
        file,
      });
  }
  if (!config.insecureLocal) return;
  const owners = (await services.ctx.store.access.assignments({})).filter(
    (a) => a.scope === '/' && a.roleName === 'Owner',
  );
  const admin = owners[0] ? await services.ctx.store.access.getUser(owners[0].principalId) : undefined;
  if (!admin)
    throw new Error('--insecure-local needs an Owner at / (the bootstrap admin), and there is none');
  services.insecureLocalPrincipal = { kind: 'user', objectId: admin.id, name: admin.name };
  log.warn(
    `INSECURE: --insecure-local is on. Every call without credentials acts as '${admin.name}' (Owner of everything). Use only on a single-user laptop.`,
  );
}

/** Opens the store, starts the loops and the HTTP API; writes HANGAR_HOME/server.json with the URL. */
export async function startServer(config: HangarConfig, options: ServerOptions = {}): Promise<RunningServer> {
  // A read-only or foreign home is named in one line (HomeNotWritable), not met as a stack trace later.
  assertHomeWritable(config.home);
  mkdirSync(config.home, { recursive: true, mode: 0o700 });
  // The home holds the database, secrets key and admin credentials: its owner only, even when it existed before.
  chmodSync(config.home, 0o700);
  const log = options.logger ?? createLogger(config.logLevel);
  // SQLite by default; PostgreSQL (database.url) lets several replicas share the data and the loops.
  const opened = await openServerStore(config, log);
  const store: Store =
    config.testStoreLatencyMs > 0 ? withLatency(opened.store, config.testStoreLatencyMs) : opened.store;
  const schemaVersion = await store.migrate();
  const loops: Loop[] = [];
  let publicUrl = '';
  const ctx: ServiceContext = {
    store,
    config,
    clock: options.clock ?? (config.testClock ? new ShiftableClock() : systemClock),
    secrets: SecretBox.open(config.home),
    wake: clusterWake(opened.bus, (scope) => {
      for (const l of loops) if (wakes(scope, l.name)) l.wake();
    }),
    // A shared folder (storage.logDir) when several replicas serve one database.
    logs: new LogStore(config.storage.logDir ?? join(config.home, 'jobs')),
    signals: new ClusterSignals(opened.bus),
    publicUrl: () => config.advertiseUrl ?? publicUrl,
  };
  if (config.testClock)
    log.warn("testClock is on: POST /api/admin/clock can move this server's clock forward (for tests only)");
  if (config.testStoreLatencyMs > 0)
    log.warn(
      `testStoreLatencyMs is on: every store call waits ${config.testStoreLatencyMs} ms (for tests only)`,
    );
  const plumbing = providerPlumbing(config, ctx);
  ctx.probeMachinePaths = plumbing.probeMachinePaths;
  // The local provider's host is what local locations really have (their GPUs in sizes and usage).
  const services = createServices(ctx, plumbing.local);
  // Replicas starting together make the default workspace and the admin once.
  await opened.serially(async () => {
    await services.workspaces.ensureDefault();
    await bootstrapAccess(services, config, log);
  });
  const startedAt = ctx.clock.now();
  const interval = config.reconcileIntervalMs;
  // Slurm-backed computes from before a restart get their providers back before any loop runs.
  plumbing.register(await store.computes.all({ computeType: 'Slurm' }));
  // Every loop is a definition (snapshot, keys, reconcile one key) run by one runner: a key that fails backs off alone.
  loops.push(
    new LoopRunner(
      provisioningLoop(ctx, (c) => plumbing.verify(c)),
      ctx.clock,
      log,
      opened.ownership,
    ),
  );
  loops.push(new LoopRunner(schedulerLoop(ctx), ctx.clock, log, opened.ownership));
  loops.push(new LoopRunner(nodePoolLoop(ctx, plumbing), ctx.clock, log, opened.ownership));
  loops.push(new LoopRunner(instanceLoop(ctx), ctx.clock, log, opened.ownership));
  loops.push(
    new LoopRunner(
      pipelineLoop(ctx, { snapshots: services.snapshots, assets: services.assets }),
      ctx.clock,
      log,
      opened.ownership,
    ),
  );
  loops.push(
    new LoopRunner(
      sweepLoop(ctx, {
        snapshots: services.snapshots,
        assets: services.assets,
        trackingUri: (ws) => services.jobs.trackingUri(ws),
      }),
      ctx.clock,
      log,
      opened.ownership,
    ),
  );
  loops.push(
    new LoopRunner(
      nodeHealthLoop(ctx, (n) => plumbing.providerNamed(n), startedAt),
      ctx.clock,
      log,
      opened.ownership,
    ),
  );
  // Managed online deployments run on the workspace serving pool: scoring host processes on this
  // host; deployments with compute: (or packages to install) run replicas as jobs on a pool's nodes
  // (docs/endpoints.md). Every server runs its own replicas (no key ownership): the router of each
  // answers from the replicas it started.
  const serving = new ServingPool(
    new LocalReplicaHost(join(config.home, 'serving', 'replicas'), replicaEnv(), replicaIsolation(config)),
  );
  services.endpoints.pool = serving;
  loops.push(
    new LoopRunner(
      servingLoop(
        ctx,
        serving,
        services.snapshots,
        join(config.home, 'serving', 'deployments'),
        new NodeReplicaHost(ctx, services.snapshots, config.storage.logDir ?? join(config.home, 'jobs')),
      ),
      ctx.clock,
      log,
    ),
  );
  const app = createApp(
    services,
    version,
    (msg, err) => log.error(msg, { error: (err as Error).stack ?? String(err) }),
    [],
    new AdmissionGate(config.admission),
  );
  const { server, port } = await listen(app.fetch, config.host, config.port);
  server.on('upgrade', appUpgradeHandler(services));
  // The HTTPS listener (same app): its certificate is the operator's or Hangar's own CA's (HOME/tls).
  const tls = config.tls.enabled
    ? await startTls(app.fetch, config, config.tls.port ?? (config.port === 0 ? 0 : port + 1))
    : undefined;
  if (tls) tls.server.on('upgrade', appUpgradeHandler(services));
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // Agents and jobs on this host reach the server on loopback even when it listens on all interfaces.
  publicUrl = config.host === '0.0.0.0' || config.host === '::' ? `http://127.0.0.1:${port}` : url;
  writeFileSync(
    join(config.home, 'server.json'),
    JSON.stringify(
      { url, pid: process.pid, schemaVersion, ...(tls ? { tlsUrl: tls.url, caBundle: tls.bundlePath } : {}) },
      null,
      2,
    ),
  );
  // Each pass's duration goes to GET /metrics (hangar_reconcile_pass_duration_seconds).
  for (const l of loops) if (l instanceof LoopRunner) l.onPass = services.telemetry.loopPass;
  loops.forEach((l) => l.start());
  // Periodic, not woken by every change: listing every provider's nodes is the sweep's whole cost.
  const sweeper = new LoopRunner(
    orphanSweepLoop(ctx, () => plumbing.providers, interval * 10),
    ctx.clock,
    log,
  );
  sweeper.start();
  if (config.locations.some((l) => l.lowPriorityPreemption)) {
    const chaos = new LoopRunner(
      randomPreemptionLoop(ctx, options.random ?? Math.random),
      ctx.clock,
      log,
      opened.ownership,
    );
    loops.push(chaos);
    chaos.start();
  }
  log.info('hangar server listening', {
    url,
    ...(tls ? { tlsUrl: tls.url } : {}),
    home: config.home,
    database: opened.describe,
    schemaVersion,
  });
  return {
    url,
    services,
    async close() {
      await Promise.all([...loops, sweeper].map((l) => l.stop()));
      await serving.stopAll();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Agents' long polls would hold the close for up to leaseWaitSeconds; they reconnect anyway.
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      if (tls) {
        const tlsClosed = new Promise<void>((resolve) => tls.server.close(() => resolve()));
        tls.server.closeAllConnections();
        await tlsClosed;
      }
      await opened.close();
    },
  };
}
