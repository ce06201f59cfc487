import { isLowPriority, type ComputeRecord } from '../../domain/compute/compute-record.js';
import { pickPreemptions } from '../../domain/nodes/random-preemption.js';
import { preemptNode } from '../nodes/preemption.js';
import type { LoopDefinition } from './loop-runner.js';
import type { ServiceContext } from '../services/service-context.js';

/** A low-priority cluster where its location preempts at random, with the location's mean interval. */
export interface PreemptionKey {
  cluster: ComputeRecord;
  location: string;
  meanIntervalSeconds: number;
}

/** What a pass sees: the clusters at risk and how long (wall clock) since the previous pass. */
export interface PreemptionSnapshot {
  clusters: PreemptionKey[];
  elapsedMs: number;
}

/**
 * Preempts low-priority nodes at random where a location asks for it
 * (`locations[].lowPriorityPreemption.meanIntervalSeconds`), so resume-on-preemption is exercised
 * on hardware that never takes nodes back by itself. One key per cluster; the time of the last
 * pass is this loop's own.
 */
export function randomPreemptionLoop(
  ctx: ServiceContext,
  random: () => number,
): LoopDefinition<PreemptionSnapshot, PreemptionKey> {
  let last = ctx.clock.now();
  return {
    name: 'random-preemption',
    intervalMs: ctx.config.reconcileIntervalMs,
    async read() {
      const now = ctx.clock.now();
      const elapsedMs = now.getTime() - last.getTime();
      last = now;
      const clusters: PreemptionKey[] = [];
      for (const location of ctx.config.locations) {
        const chaos = location.lowPriorityPreemption;
        if (!chaos) continue;
        const all = await ctx.store.computes.all({ location: location.name, computeType: 'AmlCompute' });
        for (const cluster of all.filter((c) => isLowPriority(c.spec)))
          clusters.push({ cluster, location: location.name, meanIntervalSeconds: chaos.meanIntervalSeconds });
      }
      return { clusters, elapsedMs };
    },
    keys: (snapshot) => snapshot.clusters,
    keyOf: ({ cluster }) => `compute/${cluster.workspace}/${cluster.name}`,
    async reconcile({ cluster, location, meanIntervalSeconds: mean }, { elapsedMs }) {
      const nodes = (await ctx.store.nodes.all({ computeId: cluster.id })).filter(
        (n) => n.registeredAt !== undefined && (n.state === 'idle' || n.state === 'running'),
      );
      for (const node of pickPreemptions(nodes, elapsedMs, mean * 1000, random))
        await preemptNode(
          ctx,
          node,
          `random preemption in ${location} (one per ${mean} s per node on average)`,
        );
    },
  };
}
