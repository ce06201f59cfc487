import type { ComputeSpec } from '../compute/compute-record.js';
import type { NodeRecord } from './node-record.js';

/**
 * What a compute's observed properties say about its nodes (Azure's fields): clusters report
 * node counts per state; an instance is Running once its node has registered.
 */
export function observedFromNodes(spec: ComputeSpec, nodes: readonly Pick<NodeRecord, 'state'>[], target: number): Record<string, unknown> {
  const count = (s: NodeRecord['state']): number => nodes.filter((n) => n.state === s).length;
  if (spec.computeType === 'ComputeInstance') {
    const state = count('idle') + count('running') > 0 ? 'Running' : count('unusable') > 0 ? 'Unusable' : 'Starting';
    return { state };
  }
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
