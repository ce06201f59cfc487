import { isInstanceSpec, type ComputeSpec } from '../compute/compute-record.js';
import type { NodeRecord } from './node-record.js';

/**
 * What a compute's observed properties say about its nodes (Azure's fields): clusters report
 * node counts per state.
 */
export function observedFromNodes(
  spec: ComputeSpec,
  nodes: readonly Pick<NodeRecord, 'state'>[],
  target: number,
): Record<string, unknown> {
  const count = (s: NodeRecord['state']): number => nodes.filter((n) => n.state === s).length;
  // An instance's state is written by the instance loop (it needs setup, power and activity too).
  if (isInstanceSpec(spec)) return {};
  const current = nodes.filter((n) => n.state !== 'leaving').length;
  return {
    allocationState: current === target ? 'Steady' : 'Resizing',
    currentNodeCount: current,
    targetNodeCount: target,
    nodeStateCounts: {
      idleNodeCount: count('idle'),
      runningNodeCount: count('running'),
      preparingNodeCount: count('preparing'),
      unusableNodeCount: count('unusable'),
      leavingNodeCount: count('leaving'),
      preemptedNodeCount: count('preempted'),
    },
    errors: [],
  };
}
