import { HangarError } from '../../domain/errors/hangar-error.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { ServiceContext } from '../services/service-context.js';

/** Reads a node, applies `change`, writes; retries on concurrent writes. Undefined: node gone. */
export async function updateNode(
  ctx: ServiceContext,
  nodeId: string,
  change: (n: NodeRecord) => Partial<NodeRecord> | undefined,
): Promise<NodeRecord | undefined> {
  for (let i = 0; i < 5; i++) {
    const node = await ctx.store.nodes.get(nodeId);
    if (!node) return undefined;
    const changes = change(node);
    if (!changes) return node;
    try {
      // The store checks the version as read and bumps it.
      return await ctx.store.nodes.update({ ...node, ...changes, version: node.version });
    } catch (err) {
      if (!(err instanceof HangarError) || err.code !== 'Conflict') throw err;
    }
  }
  throw new HangarError('Conflict', `Node '${nodeId}' kept changing concurrently.`, nodeId);
}
