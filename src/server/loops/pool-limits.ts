import {
  isLowPriority,
  isScalable,
  nodeVmSize,
  type ComputeRecord,
} from '../../domain/compute/compute-record.js';
import { familyLimit, quotaShortfall, usageOf, type CoreUsage } from '../../domain/compute/quota.js';
import { findVmSize } from '../../domain/compute/vm-sizes.js';
import type { PoolInput } from '../../domain/nodes/node-pool-decision.js';
import type { ServiceContext } from '../services/service-context.js';

/** What bounds a cluster's growth in one pool pass: the location's core quota and workspace locks. */
export interface PoolLimits {
  quotaFor(compute: ComputeRecord): PoolInput['quota'];
  lockedBy(compute: ComputeRecord): string | undefined;
  /** Records cores taken by nodes provisioned in this pass, so later clusters see them. */
  took(compute: ComputeRecord, nodes: number): void;
}

/** Reads usage per location (from every compute) and the locks of every workspace, once per pass. */
export async function readPoolLimits(
  ctx: ServiceContext,
  computes: readonly ComputeRecord[],
): Promise<PoolLimits> {
  const usage = new Map<string, CoreUsage>();
  for (const location of ctx.config.locations)
    usage.set(location.name, usageOf(computes.filter((c) => c.spec.location === location.name)));
  const readOnly = new Map<string, string>();
  for (const ws of (await ctx.store.workspaces.list({ top: 10_000 })).items) {
    const lock = ws.locks.find((l) => l.level === 'ReadOnly');
    if (lock)
      readOnly.set(
        ws.name,
        `workspace '${ws.name}' has a ReadOnly lock '${lock.name}'; remove it to let the cluster scale`,
      );
  }
  const sizeOf = (c: ComputeRecord) => findVmSize(nodeVmSize(c.spec) ?? '');
  const lowPriority = (c: ComputeRecord): boolean => isLowPriority(c.spec);
  return {
    quotaFor(compute) {
      const size = sizeOf(compute);
      const location = ctx.config.locations.find((l) => l.name === compute.spec.location);
      const used = usage.get(compute.spec.location);
      if (!isScalable(compute.spec) || !size || !location || !used || size.vCPUs === 0) return undefined;
      const low = lowPriority(compute);
      const limit = low ? location.quota.lowPriorityCores : familyLimit(location, size.family);
      const inUse = low ? used.lowPriority : (used.dedicatedByFamily[size.family] ?? 0);
      return {
        newNodesAllowed: Math.floor((limit - inUse) / size.vCPUs),
        shortfall: (wanted) =>
          quotaShortfall(location, used, {
            family: size.family,
            cores: wanted * size.vCPUs,
            priority: low ? 'LowPriority' : 'Dedicated',
            what: `scale-up of cluster ${compute.name} by ${wanted} node(s)`,
          })?.message ?? 'quota exceeded',
      };
    },
    lockedBy: (compute) => (isScalable(compute.spec) ? readOnly.get(compute.workspace) : undefined),
    took(compute, nodes) {
      const size = sizeOf(compute);
      const used = usage.get(compute.spec.location);
      if (!size || !used || nodes === 0) return;
      if (lowPriority(compute)) used.lowPriority += nodes * size.vCPUs;
      else
        used.dedicatedByFamily[size.family] = (used.dedicatedByFamily[size.family] ?? 0) + nodes * size.vCPUs;
    },
  };
}
