import { randomBytes } from 'node:crypto';
import {
  getsNodes,
  isInstance,
  isScalable,
  nodeBounds,
  nodeVmSize,
  type ComputeRecord,
} from '../../domain/compute/compute-record.js';
import { findVmSize } from '../../domain/compute/vm-sizes.js';
import { kindOf } from '../../domain/compute/compute-kinds.js';
import { terminalStates } from '../../domain/jobs/job-record.js';
import { jobOfLocalNode } from '../../domain/jobs/local-target.js';
import { decidePool } from '../../domain/nodes/node-pool-decision.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { observedFromNodes } from '../../domain/nodes/observed-from-nodes.js';
import { isProviderError, type Provider } from '../../providers/provider.js';
import { releaseNode } from '../nodes/release-node.js';
import { updateNode } from '../nodes/node-writes.js';
import type { LoopDefinition } from './loop-runner.js';
import { readPoolLimits, type PoolLimits } from './pool-limits.js';
import { retireRunBasedComputes } from './run-based-computes.js';
import { hashToken, newToken } from '../nodes/node-tokens.js';
import type { ServiceContext } from '../services/service-context.js';
import { instanceDir } from '../instances/instance-dirs.js';
import { controlOf } from '../instances/instance-service.js';

/** How a node pool reaches its providers. */
export interface PoolPlumbing {
  providerFor(compute: ComputeRecord): Provider;
  /** The provider that started an existing node. */
  providerNamed(name: string): Provider;
  /** Extra `hangar agent` flags the server wants on every node (pip wheel folder…). */
  agentArgs: string[];
  /** Every provider, for the orphan sweep (Slurm-backed computes add theirs as they appear). */
  readonly providers: Provider[];
  /** Checks a new compute's backend works (Slurm: the partition takes jobs); throws the backend's words. */
  verify(compute: ComputeRecord): Promise<Record<string, unknown> | undefined>;
  /** The `hangar agent` flags for a compute's nodes (remote machines do not get server-side paths). */
  agentArgsFor(compute: ComputeRecord): string[];
  /** Makes the providers of these computes known (after a restart, for computes created since). */
  register(computes: readonly ComputeRecord[]): void;
}

function slotsFor(compute: ComputeRecord): number {
  // An inference cluster's node hosts replicas side by side, one per vCPU of its size.
  if (compute.spec.computeType === 'AKS')
    return findVmSize(compute.spec.properties.agentVmSize)?.vCPUs ?? inferenceSlots;
  if (compute.spec.computeType === 'Kubernetes') return inferenceSlots;
  // Instances run several jobs side by side (up to their vCPUs); cluster nodes take one job each, as in Azure ML.
  if (!isInstance(compute)) return 1;
  return findVmSize(compute.spec.properties.vmSize)?.vCPUs ?? 1;
}

/** Nodes that `jobs` unfinished jobs need: one each, but an inference cluster's nodes take several replicas. */
function nodesFor(compute: ComputeRecord, jobs: number): number {
  return kindOf(compute.spec).servesInference ? Math.ceil(jobs / slotsFor(compute)) : jobs;
}

/** Replicas per node of an attached Kubernetes cluster (its instance types are not sizes Hangar knows). */
const inferenceSlots = 4;

async function provisionNode(
  ctx: ServiceContext,
  plumbing: PoolPlumbing,
  compute: ComputeRecord,
  why: string,
): Promise<void> {
  const token = newToken();
  const now = ctx.clock.now().toISOString();
  const node: NodeRecord = {
    id: `${compute.name}-${randomBytes(4).toString('hex')}`,
    workspace: compute.workspace,
    computeId: compute.id,
    computeName: compute.name,
    provider: plumbing.providerFor(compute).name,
    state: 'preparing',
    tokenHash: hashToken(token),
    slots: slotsFor(compute),
    createdAt: now,
    version: 1,
  };
  // Record first, then start: a crash in between leaves a record the pool can clean up, never an unknown process.
  await ctx.store.nodes.insert(node);
  // An instance's node keeps its home folder, host key and setup state in the instance's folder.
  const instanceArgs = isInstance(compute)
    ? [
        '--instance-dir',
        instanceDir(ctx.config.home, compute.id),
        '--jupyter-command',
        ctx.config.instances.jupyterCommand,
      ]
    : [];
  let started: Awaited<ReturnType<Provider['provision']>>;
  try {
    started = await plumbing.providerFor(compute).provision({
      nodeId: node.id,
      nodeToken: token,
      serverUrl: ctx.publicUrl(),
      computeName: compute.name,
      slots: node.slots,
      agentArgs: [...plumbing.agentArgsFor(compute), ...instanceArgs],
      // The size's GPUs: the local provider hands out the host's, Slurm asks for them (--gres).
      gpus: findVmSize(nodeVmSize(compute.spec) ?? '')?.gpus ?? 0,
      ...(nodeVmSize(compute.spec) ? { vmSize: nodeVmSize(compute.spec) } : {}),
    });
  } catch (err) {
    // No node came of it: the record goes. The caller shows a backend's answer (a ProviderError) on the compute.
    await ctx.store.nodes.delete(node.id);
    throw err;
  }
  // Its agent may have registered meanwhile (a write of its own): updateNode reads again and retries.
  await updateNode(ctx, node.id, () => ({ providerRef: started.ref }));
  await ctx.store.events.append({
    at: now,
    workspace: compute.workspace,
    resource: `compute/${compute.name}`,
    reason: 'NodeProvisioned',
    message: `Started node ${node.id} (${node.provider}, ${node.slots} slot(s)): ${why}.`,
    level: 'Info',
  });
}

/** Local nodes run inside the submitter's CLI: nothing to terminate, only the record to drop. */
async function forgetLocalNode(ctx: ServiceContext, node: NodeRecord, reason: string): Promise<void> {
  await ctx.store.nodes.delete(node.id);
  await ctx.store.events.append({
    at: ctx.clock.now().toISOString(),
    workspace: node.workspace,
    resource: 'compute/local',
    reason: 'NodeReleased',
    message: `Released local node ${node.id}: ${reason}.`,
    level: 'Info',
  });
}

/** Everything one pool pass reads, fetched once: a pass costs a few queries, not a few per compute. */
export interface PoolSnapshot {
  /** Every compute, as the pass began. */
  computes: ComputeRecord[];
  nodesByCompute: Map<string, NodeRecord[]>;
  /** Nodes wanted by unfinished jobs, per `workspace/computeName`. */
  demandByCompute: ReadonlyMap<string, number>;
  /** Nodes holding an unfinished job. */
  busyNodes: ReadonlySet<string>;
  limits: PoolLimits;
}

async function readSnapshot(ctx: ServiceContext, computes: ComputeRecord[]): Promise<PoolSnapshot> {
  const nodesByCompute = new Map<string, NodeRecord[]>();
  for (const node of await ctx.store.nodes.all({})) {
    // Appended in place: copying the list per node cost nodes² for a compute of thousands.
    const list = nodesByCompute.get(node.computeId);
    if (list) list.push(node);
    else nodesByCompute.set(node.computeId, [node]);
  }
  // Counted by the store (a multi-node job once, sweeps and pipelines not at all: see JobDemand),
  // not by reading every queued job each pass.
  const { byCompute: demandByCompute, busyNodes } = await ctx.store.jobs.demand();
  return {
    computes,
    nodesByCompute,
    demandByCompute,
    busyNodes,
    limits: await readPoolLimits(ctx, computes),
  };
}

/** When a compute's backend last refused a node (monotonic ms), what it said, and when to ask again. */
interface Refusal {
  atMs: number;
  message: string;
  pauseMs: number;
  /** The compute's spec version then: a changed compute (new credentials, another partition) is asked at once. */
  version: number;
}

/** Reconciles one compute's pool; answers when an idle node will be due to leave, if one will. */
async function reconcileCompute(
  ctx: ServiceContext,
  plumbing: PoolPlumbing,
  compute: ComputeRecord,
  snapshot: PoolSnapshot,
  refusals: Map<string, Refusal>,
): Promise<Date | undefined> {
  const { limits } = snapshot;
  const nodes = snapshot.nodesByCompute.get(compute.id) ?? [];
  // Clusters scale within their settings, an instance has one node, an attached machine is always its one node.
  const scale = nodeBounds(compute.spec);
  const decision = decidePool(
    {
      computeType: compute.spec.computeType,
      wantRunning:
        compute.status.provisioningState !== 'Deleting' &&
        (!isInstance(compute) || controlOf(compute).power === 'Running'),
      ...(compute.instance?.restartRequestedAt
        ? { restartRequestedAt: compute.instance.restartRequestedAt }
        : {}),
      minNodes: scale.minNodeCount,
      maxNodes: scale.maxNodeCount,
      idleTimeBeforeScaleDown: scale.nodeIdleTimeBeforeScaleDown,
      demand: nodesFor(compute, snapshot.demandByCompute.get(`${compute.workspace}/${compute.name}`) ?? 0),
      nodes,
      deleting: compute.status.provisioningState === 'Deleting',
      quota: limits.quotaFor(compute),
      lockedBy: limits.lockedBy(compute),
    },
    ctx.clock.now(),
  );
  const why = isInstance(compute)
    ? 'the instance runs'
    : `target ${decision.target} = clamp(min ${scale.minNodeCount}, max ${scale.maxNodeCount}, demand ${snapshot.demandByCompute.get(`${compute.workspace}/${compute.name}`) ?? 0}), ${nodes.filter((n) => n.state !== 'leaving' && n.state !== 'preempted').length} live`;
  let failure: PoolError | undefined;
  let unreachable: Error | undefined;
  let provisioned = 0;
  // After a refusal the backend is asked again only after a pause, not on every pass.
  const lastFailure = refusals.get(compute.id);
  const wait =
    lastFailure !== undefined &&
    lastFailure.version === compute.version &&
    ctx.clock.elapsedMs() - lastFailure.atMs < lastFailure.pauseMs;
  if (wait && lastFailure) failure = { code: 'ProviderError', message: lastFailure.message };
  try {
    for (; !wait && provisioned < decision.provision; provisioned++)
      await provisionNode(ctx, plumbing, compute, why);
    if (!wait && decision.provision > 0) refusals.delete(compute.id);
  } catch (err) {
    if (!isProviderError(err)) {
      // Nodes started before the error still count against the quota for the computes after this one.
      limits.took(compute, provisioned);
      throw err;
    }
    // The backend's words go on the compute whatever the kind. Refused, credentials: asked again only
    // after a pause (or once the compute changes); capacity: after its retryAfterMs; unreachable:
    // the key backs off exponentially, as a failure.
    failure = { code: 'ProviderError', message: err.message };
    if (err.kind === 'unreachable') unreachable = err;
    else
      refusals.set(compute.id, {
        atMs: ctx.clock.elapsedMs(),
        message: err.message,
        pauseMs: err.retryAfterMs ?? RETRY_AFTER_FAILURE_MS,
        version: compute.version,
      });
  }
  limits.took(compute, provisioned);
  for (const r of decision.release) {
    const node = nodes.find((n) => n.id === r.nodeId);
    if (node) await releaseNode(ctx, plumbing.providerNamed(node.provider), node, r.reason);
  }
  const acted = provisioned > 0 || decision.release.length > 0;
  const errors = [...(decision.blocked ? [decision.blocked] : []), ...(failure ? [failure] : [])];
  // Nothing changed and the snapshot already shows what would be written: skip the re-read.
  if (acted || !sameObserved(compute, { ...observedWithErrors(compute, nodes, decision.target, errors) }))
    await writeObserved(ctx, compute, decision.target, errors);
  if (unreachable) throw unreachable;
  return decision.nextReleaseAt;
}

/** Azure's observed fields, with `errors` only on clusters (instances report no allocation errors). */
function observedWithErrors(
  compute: ComputeRecord,
  nodes: readonly NodeRecord[],
  target: number,
  errors: PoolError[],
): Record<string, unknown> {
  const fromNodes = observedFromNodes(compute.spec, nodes, target);
  return isScalable(compute.spec) ? { ...fromNodes, errors } : fromNodes;
}

type PoolError = { code: string; message: string };

/** After a backend refused a node (refused, credentials), it is asked again this much later (the compute shows its words meanwhile). */
const RETRY_AFTER_FAILURE_MS = 10_000;

function sameObserved(compute: ComputeRecord, next: Record<string, unknown>): boolean {
  return JSON.stringify({ ...compute.status.observed, ...next }) === JSON.stringify(compute.status.observed);
}

async function writeObserved(
  ctx: ServiceContext,
  compute: ComputeRecord,
  target: number,
  errors: PoolError[],
): Promise<void> {
  const nodes = await ctx.store.nodes.all({ computeId: compute.id });
  let before = '[]';
  // Observed fields are status: written apart from the spec, so a user's PATCH never conflicts with them.
  const fresh = await ctx.store.computes.updateStatus(compute.id, (current) => {
    const observed = { ...current.status.observed, ...observedWithErrors(current, nodes, target, errors) };
    if (JSON.stringify(observed) === JSON.stringify(current.status.observed)) return undefined;
    before = JSON.stringify(current.status.observed.errors ?? []);
    return { status: { ...current.status, observed } };
  });
  if (!fresh) return;
  if (JSON.stringify(errors) === before) return;
  // A new or changed block is an event once, not once per pass.
  const now = ctx.clock.now().toISOString();
  const event = errors[0]
    ? {
        reason:
          errors[0].code === 'QuotaExceeded'
            ? 'ScaleUpDeniedByQuota'
            : errors[0].code === 'ProviderError'
              ? 'ScaleUpBlockedByBackend'
              : 'ScalingBlockedByLock',
        message: errors[0].message,
        level: 'Warning' as const,
      }
    : {
        reason: 'ScalingUnblocked',
        message: 'The cluster can reach its target again.',
        level: 'Info' as const,
      };
  await ctx.store.events.append({
    at: now,
    workspace: fresh.workspace,
    resource: `compute/${fresh.name}`,
    ...event,
  });
}

/** One piece of a pool pass, reconciled (and backing off) on its own. */
export type PoolKey =
  /** A run-based compute whose job may have ended. */
  | { kind: 'retire'; compute: ComputeRecord }
  /** A cluster or instance and its nodes. */
  | { kind: 'pool'; compute: ComputeRecord }
  /** A node that leaves whatever its compute wants: preempted and stopped, or its compute gone. */
  | { kind: 'release'; node: NodeRecord; reason: string }
  /** A local node, kept as long as its one job runs. */
  | { kind: 'local'; node: NodeRecord; job: { workspace: string; name: string } };

/**
 * The keys of a pool pass, from its snapshot (pure): run-based computes to retire, then each
 * cluster and instance, then nodes that leave on their own account.
 */
export function poolKeys(
  snapshot: Pick<PoolSnapshot, 'computes' | 'nodesByCompute' | 'busyNodes'>,
): PoolKey[] {
  const { computes } = snapshot;
  const keys: PoolKey[] = computes
    .filter((c) => c.runFor && c.status.provisioningState !== 'Deleting')
    .map((compute) => ({ kind: 'retire', compute }));
  for (const compute of computes.filter(
    (c) => getsNodes(c) && ['Succeeded', 'Updating', 'Deleting'].includes(c.status.provisioningState),
  ))
    keys.push({ kind: 'pool', compute });
  const ids = new Set(computes.map((c) => c.id));
  for (const node of [...snapshot.nodesByCompute.values()].flat()) {
    const localJob = jobOfLocalNode(node.computeId);
    if (localJob) keys.push({ kind: 'local', node, job: localJob });
    // Nodes whose compute is gone (deleted while the server was down) are released too. A compute
    // created during this pass is not in the snapshot, but it cannot have nodes from before it.
    else if (!ids.has(node.computeId))
      keys.push({ kind: 'release', node, reason: 'its compute no longer exists' });
    // Preempted nodes leave once their jobs have stopped (and checkpointed) and gone back to the queue.
    else if (node.state === 'preempted' && !snapshot.busyNodes.has(node.id))
      keys.push({ kind: 'release', node, reason: node.reason ?? 'preempted' });
  }
  return keys;
}

function poolKeyId(key: PoolKey): string {
  switch (key.kind) {
    case 'retire':
      return `run-based/${key.compute.workspace}/${key.compute.name}`;
    case 'pool':
      return `compute/${key.compute.workspace}/${key.compute.name}`;
    case 'release':
    case 'local':
      return `node/${key.node.id}`;
  }
}

/**
 * The node-pool loop: every cluster and instance gets the nodes its jobs need (min..max for
 * clusters, one for an instance), idle surplus leaves, deleted computes release all. Each compute
 * is its own key: one that fails waits out its backoff while the others keep scaling. When a
 * backend last refused a node is this loop's own (per server) state.
 */
export function nodePoolLoop(
  ctx: ServiceContext,
  plumbing: PoolPlumbing,
): LoopDefinition<PoolSnapshot, PoolKey> {
  const refusals = new Map<string, Refusal>();
  return {
    name: 'node-pool',
    intervalMs: ctx.config.reconcileIntervalMs,
    async read() {
      const computes = await ctx.store.computes.all({});
      plumbing.register(computes);
      for (const id of [...refusals.keys()]) if (!computes.some((c) => c.id === id)) refusals.delete(id);
      return readSnapshot(ctx, computes);
    },
    keys: poolKeys,
    keyOf: poolKeyId,
    async reconcile(key, snapshot) {
      switch (key.kind) {
        case 'retire':
          await retireRunBasedComputes(ctx, [key.compute]);
          return;
        case 'pool': {
          const next = await reconcileCompute(ctx, plumbing, key.compute, snapshot, refusals);
          // Look again the moment the next idle node is due, not up to an interval later.
          return next === undefined ? undefined : next.getTime() - ctx.clock.now().getTime();
        }
        case 'release': {
          // A compute's own pass may have released it already.
          const node = await ctx.store.nodes.get(key.node.id);
          if (node) await releaseNode(ctx, plumbing.providerNamed(node.provider), node, key.reason);
          return;
        }
        case 'local': {
          // A local node lives as long as its one job; the submitting CLI stops its agent itself.
          const job = await ctx.store.jobs.get(key.job.workspace, key.job.name);
          if (!job || terminalStates.has(job.status))
            await forgetLocalNode(ctx, key.node, job ? `job ${job.name} ended` : 'its job no longer exists');
          return;
        }
      }
    },
  };
}
