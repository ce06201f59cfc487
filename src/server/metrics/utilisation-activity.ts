import { utilisationReasons } from '../../domain/instances/idle.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { ServiceContext } from '../services/service-context.js';
import { nodeScope } from './system-metrics-service.js';

/** The window whose mean utilisation counts (a few samples, not one spike). */
const WINDOW_MS = 120_000;

/**
 * Busy reasons from an instance node's recent CPU and GPU utilisation, when the operator made
 * them count (instances.activityCpuPercent / activityGpuPercent); none otherwise.
 */
export async function utilisationBusy(ctx: ServiceContext, node: NodeRecord | undefined): Promise<string[]> {
  const { activityCpuPercent, activityGpuPercent } = ctx.config.instances;
  if (!node || (activityCpuPercent === undefined && activityGpuPercent === undefined)) return [];
  const recent = await ctx.store.samples.read(
    nodeScope(node.workspace, node.computeName, node.id),
    ctx.clock.now().getTime() - WINDOW_MS,
  );
  return utilisationReasons(recent, {
    ...(activityCpuPercent === undefined ? {} : { cpuPercent: activityCpuPercent }),
    ...(activityGpuPercent === undefined ? {} : { gpuPercent: activityGpuPercent }),
  });
}
