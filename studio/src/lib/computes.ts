import {
  computeTypes,
  kindOf,
  type ComputeKind,
  type ComputeType,
} from '../../../src/domain/compute/compute-kinds.js';
import type { Compute } from '../../../src/sdk/index.js';

export type { Compute };

const kinds = (shown: (k: ComputeKind) => boolean): ComputeType[] =>
  computeTypes.filter((t) => shown(kindOf(t)));

/** The compute page's tabs, and which compute types each shows (as Azure ML studio groups them), from the capability table. */
export const computeTabs = [
  {
    key: 'instances',
    label: 'Compute instances',
    types: kinds((k) => k.isInstance),
    create: [{ kind: 'instance', label: 'New compute instance' }],
  },
  {
    key: 'clusters',
    label: 'Compute clusters',
    types: kinds((k) => k.scalable && !k.isAttached),
    create: [{ kind: 'cluster', label: 'New compute cluster' }],
  },
  {
    key: 'inference',
    label: 'Inference clusters',
    types: kinds((k) => k.servesInference),
    create: [{ kind: 'inference', label: 'New inference cluster' }],
  },
  {
    key: 'attached',
    label: 'Attached computes',
    types: kinds((k) => k.isAttached && !k.servesInference),
    create: [
      { kind: 'ssh', label: 'Attach SSH machine' },
      { kind: 'slurm', label: 'Attach Slurm cluster' },
    ],
  },
] as const;

export type ComputeTabKey = (typeof computeTabs)[number]['key'];

/** The inner, type-specific properties (spec merged with what the server observed). */
export function inner(c: Compute): Record<string, unknown> {
  return c.properties.properties ?? {};
}

/** The one state a list shows: an instance's power state, otherwise provisioning (then allocation). */
export function stateOf(c: Compute): string {
  const p = inner(c);
  if (kindOf(c.properties).isInstance && typeof p.state === 'string') return p.state;
  if (c.properties.provisioningState === 'Succeeded' && p.allocationState === 'Resizing') return 'Resizing';
  return c.properties.provisioningState;
}

/** The tab a compute belongs on. */
export function tabOf(c: Compute): ComputeTabKey {
  return computeTabs.find((t) => t.types.includes(c.properties.computeType))?.key ?? 'attached';
}

/** Scale settings of a cluster (AmlCompute or Slurm); the idle time as the API's ISO 8601 text. */
export function scaleOf(c: Compute): { min: number; max: number; idleTime?: string } {
  const s = (inner(c).scaleSettings ?? {}) as {
    minNodeCount?: number;
    maxNodeCount?: number;
    nodeIdleTimeBeforeScaleDown?: string;
  };
  return {
    min: s.minNodeCount ?? 0,
    max: s.maxNodeCount ?? 0,
    ...(s.nodeIdleTimeBeforeScaleDown ? { idleTime: s.nodeIdleTimeBeforeScaleDown } : {}),
  };
}
