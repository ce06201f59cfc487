import type { LocationConfig } from '../../config/config-schema.js';
import { HangarError } from '../errors/hangar-error.js';
import type { ComputeRecord } from './compute-record.js';
import { findVmSize } from './vm-sizes.js';

/** Cores in use in one location: dedicated per family, low priority in one pool. */
export interface CoreUsage {
  dedicatedByFamily: Record<string, number>;
  lowPriority: number;
}

/** A request for cores that a quota must admit. */
export interface CoreRequest {
  family: string;
  cores: number;
  priority: 'Dedicated' | 'LowPriority';
  /** Who asks, for the message ("cluster cpu-cluster"). */
  what: string;
}

/** Cores a compute holds now: instances always (also stopped), clusters their current nodes. */
export function coresHeld(record: ComputeRecord): CoreRequest | undefined {
  const { spec } = record;
  const what = `${spec.computeType} ${record.name}`;
  switch (spec.computeType) {
    case 'ComputeInstance': {
      const size = findVmSize(spec.properties.vmSize);
      return size && { family: size.family, cores: size.vCPUs, priority: 'Dedicated', what };
    }
    case 'AmlCompute': {
      const size = findVmSize(spec.properties.vmSize);
      const nodes = Number(record.status.observed.currentNodeCount ?? 0);
      return (
        size && { family: size.family, cores: nodes * size.vCPUs, priority: spec.properties.vmPriority, what }
      );
    }
    case 'AKS': {
      const size = findVmSize(spec.properties.agentVmSize);
      return (
        size && {
          family: size.family,
          cores: spec.properties.agentCount * size.vCPUs,
          priority: 'Dedicated',
          what,
        }
      );
    }
    default:
      return undefined;
  }
}

/** Sums the cores held by the computes of one location. */
export function usageOf(records: readonly ComputeRecord[]): CoreUsage {
  const usage: CoreUsage = { dedicatedByFamily: {}, lowPriority: 0 };
  for (const r of records) {
    const held = coresHeld(r);
    if (!held || held.cores === 0) continue;
    if (held.priority === 'LowPriority') usage.lowPriority += held.cores;
    else usage.dedicatedByFamily[held.family] = (usage.dedicatedByFamily[held.family] ?? 0) + held.cores;
  }
  return usage;
}

/** The dedicated-core limit of a family in a location. */
export function familyLimit(location: LocationConfig, family: string): number {
  return location.quota.dedicatedCoresPerFamily[family] ?? location.quota.defaultDedicatedCoresPerFamily;
}

/** Returns the QuotaExceeded error for a request beyond quota, naming family, usage, limit and request. */
export function quotaShortfall(
  location: LocationConfig,
  usage: CoreUsage,
  request: CoreRequest,
): HangarError | undefined {
  if (request.cores <= 0) return undefined;
  const low = request.priority === 'LowPriority';
  const used = low ? usage.lowPriority : (usage.dedicatedByFamily[request.family] ?? 0);
  const limit = low ? location.quota.lowPriorityCores : familyLimit(location, request.family);
  if (used + request.cores <= limit) return undefined;
  const pool = low ? 'low-priority cores (all families)' : `dedicated cores of family ${request.family}`;
  return new HangarError(
    'QuotaExceeded',
    `Quota exceeded in location '${location.name}' for ${pool}: usage ${used}, limit ${limit}, request ${request.cores} (${request.what}); ${limit - used} available.`,
    request.family,
    [
      {
        code: 'QuotaExceeded',
        target: request.family,
        message: JSON.stringify({
          family: request.family,
          priority: request.priority,
          usage: used,
          limit,
          request: request.cores,
        }),
      },
    ],
  );
}
