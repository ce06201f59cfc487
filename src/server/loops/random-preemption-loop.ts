import { pickPreemptions } from '../../domain/nodes/random-preemption.js';
import { preemptNode } from '../nodes/preemption.js';
import type { ServiceContext } from '../services/service-context.js';

/**
 * Preempts low-priority nodes at random where a location asks for it
 * (`locations[].lowPriorityPreemption.meanIntervalSeconds`), so resume-on-preemption is exercised
 * on hardware that never takes nodes back by itself. Returns the tick, which remembers its last run.
 */
export function randomPreemptionTick(ctx: ServiceContext, random: () => number): () => Promise<void> {
  let last = ctx.clock.now();
  return async () => {
    const now = ctx.clock.now();
    const elapsedMs = now.getTime() - last.getTime();
    last = now;
    for (const location of ctx.config.locations) {
      if (!location.lowPriorityPreemption) continue;
      const clusters = (await ctx.store.computes.all({ location: location.name, computeType: 'AmlCompute' })).filter((c) => c.spec.properties.vmPriority === 'LowPriority');
      for (const cluster of clusters) {
        const nodes = (await ctx.store.nodes.all({ computeId: cluster.id })).filter((n) => n.registeredAt !== undefined && (n.state === 'idle' || n.state === 'running'));
        const mean = location.lowPriorityPreemption.meanIntervalSeconds;
        for (const node of pickPreemptions(nodes, elapsedMs, mean * 1000, random)) await preemptNode(ctx, node, `random preemption in ${location.name} (one per ${mean} s per node on average)`);
      }
    }
  };
}
