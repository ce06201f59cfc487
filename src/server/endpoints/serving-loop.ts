import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeploymentGeneration, DeploymentRecord } from '../../domain/endpoints/endpoint-record.js';
import { autoscaleDue, scalesToZero } from '../../domain/endpoints/scale-to-zero.js';
import { decideAutoscale } from '../../domain/endpoints/traffic.js';
import { subManifest } from '../../domain/snapshots/sub-manifest.js';
import { materializeSnapshot } from '../../snapshots/snapshot-materializer.js';
import type { LoopDefinition, Requeue } from '../loops/loop-runner.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import type { ReplicaProcess } from '../../providers/local/local-replicas.js';
import type { NodeReplicaHost } from './node-replicas.js';
import { tailOf, type Replica, type ServingPool } from './serving-pool.js';

/** Why replicas are not ready yet, for the deployment's reason (a replica job waiting for a node). */
function waitingWhy(replicas: readonly Replica[]): string {
  const why = replicas.map((r) => r.proc.waiting?.()).find((w) => w !== undefined);
  return why ? `; ${why}` : '';
}

interface Snapshot {
  deployments: Map<string, DeploymentRecord>;
}

/** How often a pass runs: probes are due at whole seconds, so half a second is fine-grained enough. */
export const servingIntervalMs = 500;
/** The pass interval while requests are held for a starting replica (scale from zero). */
const heldRequeueMs = 100;

/** The pure part: what one generation's replicas say about the deployment. */
export function generationVerdict(input: {
  replicas: readonly Pick<Replica, 'ready' | 'everReady' | 'failures' | 'lastAnswer'>[];
  exited: { code: number; everReady: boolean; reason?: string }[];
  wanted: number;
  failureThreshold: number;
}): { kind: 'ready' } | { kind: 'failed'; reason: string } | { kind: 'waiting'; ready: number } {
  const crashed = input.exited.find((e) => !e.everReady);
  if (crashed)
    return {
      kind: 'failed',
      reason:
        crashed.code === 3
          ? 'init() in the scoring script raised (the scoring host exited with code 3); the traceback is in the log'
          : crashed.reason
            ? `the replica's job failed before it became ready: ${crashed.reason}`
            : `the scoring host exited with code ${crashed.code} before it became ready`,
    };
  const stuck = input.replicas.find((r) => !r.everReady && r.failures >= input.failureThreshold);
  if (stuck)
    return {
      kind: 'failed',
      reason: `the readiness probe (GET /) failed ${stuck.failures} times in a row; last answer: ${stuck.lastAnswer ?? 'none'}`,
    };
  const ready = input.replicas.filter((r) => r.ready).length;
  return ready >= input.wanted ? { kind: 'ready' } : { kind: 'waiting', ready };
}

/**
 * The serving loop: for each deployment, the replicas of its desired generation are started on the
 * serving pool, probed (readiness gates traffic, liveness restarts), and once all are ready they
 * take over from the serving generation, whose replicas then stop. A generation that cannot become
 * ready is marked Failed with the log's last lines and never replaces the one that serves.
 */
export function servingLoop(
  ctx: ServiceContext,
  pool: ServingPool,
  snapshots: SnapshotService,
  root: string,
  nodes: NodeReplicaHost,
): LoopDefinition<Snapshot, string> {
  const materialized = new Set<string>();
  /** Deployments whose replica jobs this server has looked for (after a restart they are taken back). */
  const adopted = new Set<string>();
  let orphansSwept = false;
  /** Ids and versions of every endpoint and deployment at the last pass: a change invalidates routes. */
  let lastSeen = '';

  const materialize = async (
    d: DeploymentRecord,
    g: DeploymentGeneration,
  ): Promise<{ dir: string; code: string; model?: string }> => {
    const dir = join(root, d.id, `g${g.number}`);
    const done = join(dir, '.ready');
    const code = join(dir, 'code');
    const model = g.resolved.model ? join(dir, 'model') : undefined;
    if (!materialized.has(dir) && !existsSync(done)) {
      rmSync(dir, { recursive: true, force: true });
      // Readable by the sandbox's unprivileged user (the folders above it stay the server's).
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const write = async (snapshotId: string, subPath: string, dest: string): Promise<void> => {
        const part = subManifest(await snapshots.getManifest(snapshotId), subPath);
        if (part) await materializeSnapshot(part, dest, (sha) => Promise.resolve(snapshots.blobs.get(sha)));
        else mkdirSync(dest, { recursive: true });
      };
      await write(g.resolved.code.snapshotId, g.resolved.code.subPath, code);
      if (g.resolved.model && model)
        await write(g.resolved.model.snapshotId, g.resolved.model.subPath, model);
      writeFileSync(done, '');
    }
    materialized.add(dir);
    return { dir, code, ...(model ? { model } : {}) };
  };

  const start = async (d: DeploymentRecord, g: DeploymentGeneration, index: number): Promise<Replica> => {
    // A deployment with compute: its replicas are jobs on that compute's nodes.
    if (g.resolved.pool) return fresh(await nodes.start(d, g, index), g.number);
    const dirs = await materialize(d, g);
    const spec = g.spec;
    const proc = pool.host.start({
      id: `${d.id}-g${g.number}-${index}-${Math.round(ctx.clock.elapsedMs())}`,
      entryScript: join(dirs.code, spec.code_configuration?.scoring_script ?? 'score.py'),
      ...(dirs.model ? { modelDir: dirs.model } : {}),
      python: g.resolved.python,
      readOnly: [dirs.dir],
      env: {
        WORKER_COUNT: String(spec.request_settings.max_concurrent_requests_per_instance),
        ...spec.environment_variables,
      },
    });
    return fresh(proc, g.number);
  };

  const fresh = (proc: ReplicaProcess, generation: number): Replica => ({
    proc,
    generation,
    startedMs: ctx.clock.elapsedMs(),
    ready: false,
    everReady: false,
    failures: 0,
    inFlight: 0,
  });

  /** GET / on the replica: 200 is a success; anything else, or no answer within `timeout`, a failure. */
  const probe = async (r: Replica, timeoutS: number): Promise<boolean> => {
    const port = r.proc.port();
    r.portClosed = port === undefined;
    if (port === undefined) {
      r.lastAnswer = 'the port is not open yet (init() still running?)';
      return false;
    }
    try {
      const res = await fetch(`http://${r.proc.host()}:${port}/`, {
        signal: AbortSignal.timeout(timeoutS * 1000),
      });
      const text = await res.text();
      r.lastAnswer = `${res.status} ${text.slice(0, 100)}`;
      return res.status === 200;
    } catch (err) {
      r.lastAnswer = (err as Error).message;
      return false;
    }
  };

  const writeStatus = async (d: DeploymentRecord, change: Partial<DeploymentRecord>): Promise<void> => {
    const next = { ...d, ...change };
    if (
      JSON.stringify(next.status) === JSON.stringify(d.status) &&
      next.serving?.number === d.serving?.number
    )
      return;
    try {
      await ctx.store.onlineDeployments.update({ ...next, modifiedAt: ctx.clock.now().toISOString() });
      if (next.serving?.number !== d.serving?.number) pool.routesChanged();
    } catch (err) {
      // A user wrote since this pass read: the next pass decides again on what they wrote.
      if ((err as { code?: string }).code !== 'Conflict') throw err;
    }
  };

  return {
    name: 'serving',
    intervalMs: servingIntervalMs,
    async read() {
      const [all, endpoints] = await Promise.all([
        ctx.store.onlineDeployments.list({}),
        ctx.store.onlineEndpoints.list(),
      ]);
      // Another server's write (it wakes this loop through the cluster bus) reaches the router's cache here.
      const seen = [...all, ...endpoints]
        .map((r) => `${r.id}:${r.version}`)
        .sort()
        .join(',');
      if (seen !== lastSeen) pool.routesChanged();
      lastSeen = seen;
      if (!orphansSwept) {
        // Replica jobs of deployments deleted while no server ran would otherwise run forever.
        orphansSwept = true;
        await nodes.cancelOrphans(new Set(all.map((d) => d.id)));
      }
      return { deployments: new Map(all.map((d) => [d.id, d])) };
    },
    keys: (s) => [...new Set([...s.deployments.keys(), ...pool.deploymentIds()])],
    keyOf: (k) => `deployment/${k}`,
    async reconcile(id, s): Promise<Requeue> {
      const state = pool.of(id);
      const d = s.deployments.get(id);
      if (!d) {
        // Deleted: its replicas go.
        await Promise.all(state.replicas.map((r) => r.proc.stop()));
        pool.forget(id);
        rmSync(join(root, id), { recursive: true, force: true });
        return undefined;
      }
      const desired = d.desired;
      const spec = desired.spec;
      if (!adopted.has(id)) {
        // This server (re)started: replica jobs still running on nodes serve again, none is started twice.
        adopted.add(id);
        for (const a of await nodes.adopt(d))
          if (!state.replicas.some((r) => r.proc === a.replica))
            state.replicas.push(fresh(a.replica, a.generation));
      }
      await nodes.refresh(state.replicas.map((r) => r.proc));
      const now = ctx.clock.elapsedMs();
      // Replicas that ended: a crash after readiness is restarted (liveness); before it, the generation failed.
      const exited: { code: number; everReady: boolean; replica: Replica; reason?: string }[] = [];
      for (const r of state.replicas) {
        const code = r.proc.exitCode();
        const reason = r.proc.endReason?.();
        if (code !== undefined)
          exited.push({ code, everReady: r.everReady, replica: r, ...(reason ? { reason } : {}) });
      }
      for (const e of exited) {
        pool.lastLogs.set(id, tailOf(e.replica.proc.logPath, 200));
        await e.replica.proc.stop();
      }
      state.replicas = state.replicas.filter((r) => !exited.some((e) => e.replica === r));
      // Replicas of generations neither desired nor serving stop.
      const keep = new Set([desired.number, d.serving?.number]);
      for (const r of state.replicas.filter((x) => !keep.has(x.generation))) await r.proc.stop();
      state.replicas = state.replicas.filter((r) => keep.has(r.generation));

      // How many replicas: the spec's count, or the autoscaler's answer each polling interval.
      let wanted = spec.instance_count;
      const scale = spec.scale_settings;
      if (scale.type === 'target_utilization') {
        // min_instances is at least 1 unless the deployment opted in to scale to zero.
        const current = state.autoscaleDesired ?? scale.min_instances;
        // A request that found no replica (held or refused at once) is demand until one is ready.
        const queued = Math.max(state.queued, current === 0 && state.coldSinceMs !== undefined ? 1 : 0);
        if (
          autoscaleDue({
            nowMs: now,
            lastMs: state.lastAutoscaleMs,
            pollingIntervalMs: scale.polling_interval * 1000,
            current,
            demand: state.inFlight + queued,
          })
        ) {
          const decision = decideAutoscale({
            current,
            inFlight: state.inFlight,
            queued,
            min: scale.min_instances,
            max: scale.max_instances,
            targetUtilizationPercentage: scale.target_utilization_percentage,
            maxConcurrentPerInstance: spec.request_settings.max_concurrent_requests_per_instance,
            belowSinceMs: state.belowSinceMs,
            nowMs: now,
            pollingIntervalMs: scale.polling_interval * 1000,
          });
          state.autoscaleDesired = decision.desired;
          state.belowSinceMs = decision.belowSinceMs;
          state.lastAutoscaleMs = now;
        }
        wanted = state.autoscaleDesired ?? current;
      }

      if (d.status.failedGeneration === desired.number) {
        // Failed and not retried until a new update; the serving generation (if any) keeps serving.
        for (const r of state.replicas.filter((x) => x.generation === desired.number)) await r.proc.stop();
        state.replicas = state.replicas.filter((x) => x.generation !== desired.number);
        if (d.serving && d.serving.number !== desired.number) {
          await keepServing(d.serving);
          pool.drain(id);
        } else
          pool.refuseWaiting(
            id,
            `deployment '${d.name}' failed: ${d.status.reason ?? 'no replica could start'}`,
          );
        return undefined;
      }

      const mine = (): Replica[] => state.replicas.filter((r) => r.generation === desired.number);
      // Liveness: a ready replica failing failure_threshold probes in a row is restarted.
      const restarts = exited.filter((e) => e.everReady && e.replica.generation === desired.number).length;
      // A replica that ended before it was ready fails the generation (below): no other is started for it.
      const crashedBeforeReady = exited.some((e) => e.replica.generation === desired.number && !e.everReady);
      if (!crashedBeforeReady)
        for (let i = mine().length; i < wanted; i++) state.replicas.push(await start(d, desired, i));
      // Extra replicas (scaled down) stop, not-ready ones first.
      const surplus = mine().length - wanted;
      if (surplus > 0) {
        const victims = [...mine()].sort((a, b) => Number(a.ready) - Number(b.ready)).slice(0, surplus);
        for (const v of victims) await v.proc.stop();
        state.replicas = state.replicas.filter((r) => !victims.includes(r));
      }
      await probeAll(mine(), desired);
      if (d.serving && d.serving.number !== desired.number) await keepServing(d.serving);
      // A replica that became ready takes requests waiting in the router's queue.
      pool.drain(id);

      const verdict = generationVerdict({
        replicas: mine(),
        exited: exited.filter((e) => e.replica.generation === desired.number && !e.everReady),
        wanted,
        failureThreshold: spec.readiness_probe.failure_threshold,
      });
      if (verdict.kind === 'failed') {
        for (const r of mine()) await r.proc.stop();
        const log = pool.lastLogs.get(id) ?? (mine()[0] ? tailOf(mine()[0]!.proc.logPath, 200) : '');
        state.replicas = state.replicas.filter((r) => r.generation !== desired.number);
        // Requests held for this generation's replicas (scaled to zero): none will come.
        if (!d.serving || d.serving.number === desired.number)
          pool.refuseWaiting(id, `no replica could start: ${verdict.reason}`);
        await writeStatus(d, {
          status: {
            provisioningState: 'Failed',
            reason: `${verdict.reason}${d.serving ? `; generation ${d.serving.number} keeps serving` : ''}`,
            logTail: log.split('\n').slice(-50).join('\n'),
            failedGeneration: desired.number,
            readyReplicas: pool.readyCount(id, d.serving?.number),
          },
        });
        return undefined;
      }
      if (verdict.kind === 'ready') {
        const wasServing = d.serving?.number;
        if (wasServing !== desired.number)
          for (const r of state.replicas.filter((x) => x.generation !== desired.number)) await r.proc.stop();
        state.replicas = state.replicas.filter((x) => x.generation === desired.number);
        if (state.gate && wasServing !== desired.number) {
          // Waiters move to the new generation, under its request_settings.
          const rs = desired.spec.request_settings;
          state.gate = {
            generation: desired.number,
            maxConcurrentPerInstance: rs.max_concurrent_requests_per_instance,
            maxQueueWaitMs: rs.max_queue_wait_ms,
          };
          pool.drain(id);
        }
        await writeStatus(d, {
          serving: desired,
          status: {
            provisioningState: 'Succeeded',
            readyReplicas: verdict.kind === 'ready' ? mine().filter((r) => r.ready).length : 0,
            ...(restarts > 0
              ? { reason: `${restarts} replica(s) restarted after the liveness probe or a crash` }
              : wanted === 0
                ? {
                    reason:
                      'scaled to zero (hangar_scale_to_zero): no replica runs; the next request starts one and waits for it up to max_queue_wait_ms',
                  }
                : {}),
          },
        });
        return undefined;
      }
      await writeStatus(d, {
        status: {
          ...d.status,
          provisioningState: d.serving
            ? d.serving.number === desired.number
              ? 'Scaling'
              : 'Updating'
            : 'Creating',
          reason: `${verdict.ready} of ${wanted} replica(s) ready${waitingWhy(mine())}`,
          readyReplicas: pool.readyCount(id, d.serving?.number ?? desired.number),
        },
      });
      // Requests are held for a replica that is starting: look again sooner than a pass.
      return state.waiting.size > 0 ? heldRequeueMs : servingIntervalMs;

      /** The serving generation keeps its replicas probed and restarted while a new one starts. */
      async function keepServing(g: DeploymentGeneration): Promise<void> {
        const serving = state.replicas.filter((r) => r.generation === g.number);
        // A serving generation that scales to zero follows the autoscaler (else it could never wake).
        const count = scalesToZero(g.spec.scale_settings) ? wanted : g.spec.instance_count;
        for (let i = serving.length; i < count; i++) state.replicas.push(await start(d!, g, i));
        await probeAll(
          state.replicas.filter((r) => r.generation === g.number),
          g,
        );
      }
    },
  };

  async function probeAll(replicas: Replica[], g: DeploymentGeneration): Promise<void> {
    const now = ctx.clock.elapsedMs();
    await Promise.all(
      replicas.map(async (r) => {
        const p = r.everReady ? g.spec.liveness_probe : g.spec.readiness_probe;
        const waiting = r.proc.waiting?.();
        if (waiting) {
          // A replica job waiting for a node: not a failed probe; the initial delay counts from its start.
          r.lastAnswer = waiting;
          r.startedMs = now;
          return;
        }
        if (now - r.startedMs < p.initial_delay * 1000) return;
        // Until the first success the readiness probe runs every pass: readiness gates the first request.
        if (r.everReady && r.lastProbeMs !== undefined && now - r.lastProbeMs < p.period * 1000) return;
        // A port that opened since the last probe is probed at once (a held request waits on it).
        if (
          !r.everReady &&
          r.lastProbeMs !== undefined &&
          now - r.lastProbeMs < Math.min(p.period * 1000, 1000) &&
          !(r.portClosed && r.proc.port() !== undefined)
        )
          return;
        r.lastProbeMs = now;
        if (await probe(r, p.timeout)) {
          r.ready = true;
          r.everReady = true;
          r.failures = 0;
          return;
        }
        r.failures++;
        if (r.everReady && r.failures >= g.spec.readiness_probe.failure_threshold) r.ready = false;
        if (r.everReady && r.failures >= g.spec.liveness_probe.failure_threshold) {
          // Liveness failed: the replica is stopped; the next pass starts another in its place.
          pool.lastLogs.set(r.proc.id, tailOf(r.proc.logPath, 200));
          await r.proc.stop();
        }
      }),
    );
  }
}
