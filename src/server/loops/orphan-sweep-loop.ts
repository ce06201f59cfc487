import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { isProviderError, type Provider } from '../../providers/provider.js';
import { updateNode } from '../nodes/node-writes.js';
import { releaseNode } from '../nodes/release-node.js';
import type { LoopDefinition } from './loop-runner.js';
import type { ServiceContext } from '../services/service-context.js';

/**
 * The orphan sweep, one key per provider: what each provider runs is compared with the store.
 * Nodes nobody knows about are terminated; registered nodes the provider no longer runs are marked
 * unusable at once (their jobs then follow the NotResponding → lost rules); nodes whose start was
 * lost (never registered, not running) are released so the pool starts others. All are events.
 * Periodic (every `intervalMs`), not woken by every change: listing every provider's nodes is its whole cost.
 */
export function orphanSweepLoop(
  ctx: ServiceContext,
  providers: () => readonly Provider[],
  intervalMs: number,
): LoopDefinition<readonly Provider[], Provider> {
  return {
    name: 'orphan-sweep',
    intervalMs,
    // Slurm-backed computes add their providers as they appear: the list is read on every pass.
    read: () => Promise.resolve([...providers()]),
    keys: (all) => all,
    keyOf: (provider) => `provider/${provider.name}`,
    reconcile: (provider) => sweepProvider(ctx, provider),
  };
}

async function sweepProvider(ctx: ServiceContext, provider: Provider): Promise<void> {
  const listedAt = ctx.clock.now();
  // The provider first, then the store: a node is inserted before it is provisioned, so anything
  // the provider lists here is already in the store unless it really is an orphan. A backend
  // that cannot be asked now (any ProviderError: unreachable machine, changed host key) is skipped,
  // not guessed; anything else is a failure of this key (logged, backed off).
  const running = await provider.list().catch((err: unknown) => {
    if (isProviderError(err)) return undefined;
    throw err;
  });
  if (!running) return;
  const known = (await ctx.store.nodes.all({})).filter((n) => n.provider === provider.name);
  const knownIds = new Set(known.map((n) => n.id));
  for (const orphan of running.filter((n) => !knownIds.has(n.nodeId))) {
    await provider.terminate(orphan.nodeId);
    await event(
      ctx,
      `node/${orphan.nodeId}`,
      'OrphanNodeReleased',
      `Terminated ${provider.name} node ${orphan.nodeId} (${orphan.ref}): no record of it in the store.`,
    );
  }
  const runningIds = new Set(running.map((n) => n.nodeId));
  for (const node of known.filter((n) => neverStarted(n, runningIds, listedAt))) {
    // E.g. the server died between recording the node and starting it: it will never register.
    await releaseNode(
      ctx,
      provider,
      node,
      `its agent is not running ${Math.round((listedAt.getTime() - new Date(node.createdAt).getTime()) / 1000)} s after it was requested`,
    );
  }
  for (const node of known.filter((n) => vanished(n, runningIds, listedAt))) {
    const reason = `the ${provider.name} provider no longer runs node ${node.id}`;
    await updateNode(ctx, node.id, (n) =>
      n.state === 'leaving' || n.state === 'unusable' ? undefined : { state: 'unusable', reason },
    );
    await event(
      ctx,
      `compute/${node.computeName}`,
      'NodeVanished',
      `${reason}; its jobs are handled as not responding, then lost.`,
      node.workspace,
    );
  }
}

/** How long an unregistered node may be missing from its provider's list before it is given up. */
const startGraceMs = 10_000;

/** Never registered, requested a while ago, and not running: its start was lost. */
function neverStarted(node: NodeRecord, runningIds: ReadonlySet<string>, listedAt: Date): boolean {
  return (
    node.registeredAt === undefined &&
    node.state === 'preparing' &&
    !runningIds.has(node.id) &&
    listedAt.getTime() - new Date(node.createdAt).getTime() > startGraceMs
  );
}

/** Registered before the listing, not already on its way out (leaving, unusable, preempted), and absent from the provider's list. */
function vanished(node: NodeRecord, runningIds: ReadonlySet<string>, listedAt: Date): boolean {
  if (
    runningIds.has(node.id) ||
    node.registeredAt === undefined ||
    node.state === 'leaving' ||
    node.state === 'unusable' ||
    node.state === 'preempted'
  )
    return false;
  return new Date(node.createdAt).getTime() < listedAt.getTime();
}

async function event(
  ctx: ServiceContext,
  resource: string,
  reason: string,
  message: string,
  workspace = ctx.config.defaultWorkspace.name,
): Promise<void> {
  await ctx.store.events.append({
    at: ctx.clock.now().toISOString(),
    workspace,
    resource,
    reason,
    message,
    level: 'Warning',
  });
}
