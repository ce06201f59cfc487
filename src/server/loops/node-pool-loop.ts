import { randomBytes } from 'node:crypto';
import type { ComputeRecord } from '../../domain/compute/compute-record.js';
import { findVmSize } from '../../domain/compute/vm-sizes.js';
import { terminalStates } from '../../domain/jobs/job-record.js';
import { loseAttempt } from '../../domain/jobs/job-transitions.js';
import { decidePool } from '../../domain/nodes/node-pool-decision.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { observedFromNodes } from '../../domain/nodes/observed-from-nodes.js';
import type { Provider } from '../../providers/provider.js';
import { updateJob } from '../jobs/job-writes.js';
import { hashToken, newToken } from '../nodes/node-tokens.js';
import type { ServiceContext } from '../services/service-context.js';

/** Compute kinds whose nodes Hangar starts itself (attached kinds bring their own). */
const pooled = new Set(['AmlCompute', 'ComputeInstance']);

/** How a node pool reaches its providers. */
export interface PoolPlumbing {
  providerFor(compute: ComputeRecord): Provider;
  /** The provider that started an existing node. */
  providerNamed(name: string): Provider;
  /** Extra `hangar agent` flags the server wants on every node (pip wheel folder…). */
  agentArgs: string[];
}

function slotsFor(compute: ComputeRecord): number {
  // Instances run several jobs side by side (up to their vCPUs); cluster nodes take one job each, as in Azure ML.
  if (compute.spec.computeType !== 'ComputeInstance') return 1;
  return findVmSize(String(compute.spec.properties.vmSize ?? ''))?.vCPUs ?? 1;
}

async function provisionNode(ctx: ServiceContext, plumbing: PoolPlumbing, compute: ComputeRecord): Promise<void> {
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
  const started = await plumbing.providerFor(compute).provision({ nodeId: node.id, nodeToken: token, serverUrl: ctx.publicUrl(), computeName: compute.name, slots: node.slots, agentArgs: plumbing.agentArgs });
  await ctx.store.nodes.update({ ...node, providerRef: started.ref, version: 2 });
  await ctx.store.events.append({ at: now, workspace: compute.workspace, resource: `compute/${compute.name}`, reason: 'NodeProvisioned', message: `Started node ${node.id} (${node.provider}, ${node.slots} slot(s)).`, level: 'Info' });
}

/** Stops a node and forgets it; its unfinished jobs are retried or failed with the reason. */
export async function releaseNode(ctx: ServiceContext, provider: Provider, node: NodeRecord, reason: string): Promise<void> {
  const current = await ctx.store.nodes.get(node.id);
  if (current && current.state !== 'leaving') await ctx.store.nodes.update({ ...current, state: 'leaving', reason, version: current.version + 1 });
  await provider.terminate(node.id);
  const now = ctx.clock.now();
  for (const job of (await ctx.store.jobs.all({ nodeId: node.id })).filter((j) => !terminalStates.has(j.status))) {
    await updateJob(ctx, job, (j) => loseAttempt(j, `node ${node.id} was released (${reason})`, now));
  }
  await ctx.store.nodes.delete(node.id);
  await ctx.store.events.append({ at: now.toISOString(), workspace: node.workspace, resource: `compute/${node.computeName}`, reason: 'NodeReleased', message: `Released node ${node.id}: ${reason}.`, level: 'Info' });
}

async function demandOf(ctx: ServiceContext, compute: ComputeRecord): Promise<number> {
  const jobs = await ctx.store.jobs.all({ workspace: compute.workspace, computeName: compute.name });
  return jobs.filter((j) => !terminalStates.has(j.status)).reduce((sum, j) => sum + j.run.instanceCount, 0);
}

async function reconcileCompute(ctx: ServiceContext, plumbing: PoolPlumbing, compute: ComputeRecord): Promise<void> {
  const nodes = await ctx.store.nodes.all({ computeId: compute.id });
  const scale = (compute.spec.properties.scaleSettings ?? {}) as { minNodeCount?: number; maxNodeCount?: number; nodeIdleTimeBeforeScaleDown?: string };
  const decision = decidePool(
    {
      computeType: compute.spec.computeType,
      wantRunning: compute.status.provisioningState !== 'Deleting',
      minNodes: scale.minNodeCount ?? 0,
      maxNodes: scale.maxNodeCount ?? 1,
      idleTimeBeforeScaleDown: scale.nodeIdleTimeBeforeScaleDown ?? 'PT120S',
      demand: await demandOf(ctx, compute),
      nodes,
      deleting: compute.status.provisioningState === 'Deleting',
    },
    ctx.clock.now(),
  );
  for (let i = 0; i < decision.provision; i++) await provisionNode(ctx, plumbing, compute);
  for (const r of decision.release) {
    const node = nodes.find((n) => n.id === r.nodeId);
    if (node) await releaseNode(ctx, plumbing.providerNamed(node.provider), node, r.reason);
  }
  await writeObserved(ctx, compute, decision.target);
}

async function writeObserved(ctx: ServiceContext, compute: ComputeRecord, target: number): Promise<void> {
  const fresh = await ctx.store.computes.get(compute.workspace, compute.name);
  if (!fresh) return;
  const observed = { ...fresh.status.observed, ...observedFromNodes(fresh.spec, await ctx.store.nodes.all({ computeId: fresh.id }), target) };
  if (JSON.stringify(observed) === JSON.stringify(fresh.status.observed)) return;
  await ctx.store.computes.update({ ...fresh, status: { ...fresh.status, observed }, version: fresh.version + 1 });
}

/**
 * One pass of the node-pool loop: every cluster and instance gets the nodes its jobs need
 * (min..max for clusters, one for an instance), idle surplus leaves, deleted computes release all.
 */
export async function nodePoolTick(ctx: ServiceContext, plumbing: PoolPlumbing): Promise<void> {
  const computes = (await ctx.store.computes.all({})).filter((c) => pooled.has(c.spec.computeType) && ['Succeeded', 'Updating', 'Deleting'].includes(c.status.provisioningState));
  for (const compute of computes) await reconcileCompute(ctx, plumbing, compute);
  // Nodes whose compute is gone (deleted while the server was down) are released too.
  const ids = new Set((await ctx.store.computes.all({})).map((c) => c.id));
  for (const node of await ctx.store.nodes.all({})) {
    if (!ids.has(node.computeId)) await releaseNode(ctx, plumbing.providerNamed(node.provider), node, 'its compute no longer exists');
  }
}
