import type { HangarConfig, LocationConfig } from '../../config/config.js';
import { computeTypes, kindOf } from '../../domain/compute/compute-kinds.js';
import { familyLimit, usageOf } from '../../domain/compute/quota.js';
import { sizesOffered, vmTypeOf } from '../../domain/compute/vm-sizes.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import {
  locationGpus,
  sizeGpuAvailability,
  type GpuDevice,
  type GpuHolding,
  type LocationGpus,
} from '../../domain/nodes/gpu-assignment.js';
import type { ServiceContext } from './service-context.js';

/** Kinds Hangar creates take their VM size from a location's catalogue; attached ones bring their machines. */
const sizedTypes = computeTypes.filter((t) => !kindOf(t).isAttached);

/** One row of list-usage: cores used against the limit, per family or for low priority. */
export interface UsageRow {
  name: { value: string; localizedValue: string };
  unit: 'Count';
  currentValue: number;
  limit: number;
  type:
    | 'Microsoft.MachineLearningServices/totalCores'
    | 'Microsoft.MachineLearningServices/vmFamily/cores'
    | 'Microsoft.MachineLearningServices/lowPriorityCores';
}

/** The GPU row of list-usage (Hangar's own; Azure's usages have none): GPUs nodes hold against the host's. */
export type GpuUsageRow = Omit<UsageRow, 'type'> & { type: 'Hangar/gpus' };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The location a name stands for: the configured location an operator declared it an alias of
 * (`locationAliases`, e.g. `westus2: local`), else the name itself. The one place aliases resolve.
 */
export function canonicalLocation(config: Pick<HangarConfig, 'locationAliases'>, name: string): string {
  return Object.hasOwn(config.locationAliases, name) ? (config.locationAliases[name] ?? name) : name;
}

/**
 * A compute request with its `location` and `properties.computeLocation` resolved through the
 * aliases, so validation, quota and the stored record see only configured locations; any other
 * body is returned as it is (validation names what is wrong with it).
 */
export function withCanonicalLocation(config: Pick<HangarConfig, 'locationAliases'>, body: unknown): unknown {
  if (!isRecord(body)) return body;
  const out: Record<string, unknown> = { ...body };
  if (typeof out.location === 'string') out.location = canonicalLocation(config, out.location);
  const properties = out.properties;
  if (isRecord(properties) && typeof properties.computeLocation === 'string')
    out.properties = {
      ...properties,
      computeLocation: canonicalLocation(config, properties.computeLocation),
    };
  return out;
}

/** The GPUs of the host the local provider starts nodes on, and which of them its nodes hold. */
export interface HostGpuSource {
  hostGpus(): GpuDevice[];
  gpuHoldings(): GpuHolding[];
}

/** The host's GPU inventory runs nvidia-smi; it changes only when hardware does, so it is asked this rarely. */
const hostGpuTtlMs = 60_000;

/** Locations, their VM sizes and quota usage. */
export class LocationService {
  private hostCache: { at: number; gpus: GpuDevice[] } | undefined;

  constructor(
    private readonly ctx: ServiceContext,
    /** Without one (no local provider), a location's GPUs are not known and sizes are shown as the catalogue has them. */
    private readonly gpuSource?: HostGpuSource,
  ) {}

  /**
   * The GPUs a location really has: its host's, where the location is served by the local
   * provider (the only machines Hangar itself knows); undefined elsewhere.
   */
  gpus(name: string): LocationGpus | undefined {
    const location = this.get(name);
    if (!this.gpuSource || !location.providers.includes('local')) return undefined;
    const now = this.ctx.clock.now().getTime();
    if (!this.hostCache || now - this.hostCache.at > hostGpuTtlMs)
      this.hostCache = { at: now, gpus: this.gpuSource.hostGpus() };
    return locationGpus(this.hostCache.gpus, this.gpuSource.gpuHoldings());
  }

  /**
   * The sizes of vmSizes with what the location really has: `gpusAvailable` (its host's GPUs)
   * and `gpusFree` beside the catalogue's `gpus`, and a size needing more GPUs per node than a
   * local-only location has marked unavailable with the reason.
   */
  vmSizesHere(name: string): Record<string, unknown>[] {
    const sizes = this.vmSizes(name);
    const gpus = this.gpus(name);
    if (!gpus) return sizes;
    const onlyHost = this.get(name).providers.every((p) => p === 'local');
    return sizes.map((s) => {
      const fit = sizeGpuAvailability({ name: String(s.name), gpus: Number(s.gpus) || 0 }, gpus, onlyHost);
      return {
        ...s,
        gpusAvailable: gpus.total,
        gpusFree: gpus.free,
        available: fit.available,
        ...(fit.available ? {} : { unavailableReason: fit.reason }),
      };
    });
  }

  /** A usage row for the location's GPUs (held by nodes, against what its host has), where they are known. */
  gpuUsage(name: string): GpuUsageRow | undefined {
    const gpus = this.gpus(name);
    if (!gpus) return undefined;
    const models = gpus.models.length > 0 ? ` (${gpus.models.join(', ')})` : '';
    return {
      name: { value: 'gpus', localizedValue: `GPUs of this location's host${models}` },
      unit: 'Count',
      currentValue: gpus.total - gpus.free,
      limit: gpus.total,
      type: 'Hangar/gpus',
    };
  }

  list(): LocationConfig[] {
    return [...this.ctx.config.locations];
  }

  /** A configured location by its name or an alias of it; unknown names are refused naming the configured ones. */
  get(name: string): LocationConfig {
    const canonical = canonicalLocation(this.ctx.config, name);
    const location = this.ctx.config.locations.find((l) => l.name === canonical);
    if (!location) {
      throw new HangarError(
        'UnknownLocation',
        `location '${name}' is not configured; valid locations: ${this.ctx.config.locations.map((l) => l.name).join(', ')}`,
        'location',
      );
    }
    return location;
  }

  vmSizes(name: string): Record<string, unknown>[] {
    const location = this.get(name);
    return sizesOffered(location.vmSizes).map((s) => ({
      name: s.name,
      family: s.family,
      vCPUs: s.vCPUs,
      memoryGB: s.memoryGB,
      gpus: s.gpus,
      gpuType: s.gpuType,
      vmType: vmTypeOf(s),
      lowPriorityCapable: s.lowPriorityCapable,
      supportedComputeTypes: [...sizedTypes],
    }));
  }

  /** Usage vs limit per family offered here, plus the low-priority pool. */
  async usages(name: string): Promise<UsageRow[]> {
    const location = this.get(name);
    const usage = usageOf(await this.ctx.store.computes.all({ location: location.name }));
    const families = [
      ...new Set([
        ...sizesOffered(location.vmSizes).map((s) => s.family),
        ...Object.keys(usage.dedicatedByFamily),
      ]),
    ].sort();
    const rows: UsageRow[] = families.map((family) => ({
      name: { value: family, localizedValue: `${family} dedicated cores` },
      unit: 'Count',
      currentValue: usage.dedicatedByFamily[family] ?? 0,
      limit: familyLimit(location, family),
      type: 'Microsoft.MachineLearningServices/vmFamily/cores',
    }));
    rows.push({
      name: { value: 'lowPriorityCores', localizedValue: 'Low-priority cores (all families)' },
      unit: 'Count',
      currentValue: usage.lowPriority,
      limit: location.quota.lowPriorityCores,
      type: 'Microsoft.MachineLearningServices/lowPriorityCores',
    });
    return rows;
  }
}
