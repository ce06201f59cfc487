import { HangarError } from '../../domain/errors/hangar-error.js';
import { terminalStates } from '../../domain/jobs/job-record.js';
import { preemptAttempt, requestPreemption } from '../../domain/jobs/job-transitions.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { updateJob } from '../jobs/job-writes.js';
import type { ServiceContext } from '../services/service-context.js';
import { updateNode } from './node-writes.js';

/**
 * Preempts a node of a low-priority cluster, as a cloud takes back a spot VM: no new work goes
 * to it; each running job gets SIGTERM and the grace period (`jobs.cancelGraceSeconds`) to
 * checkpoint, then returns to the queue and resumes on another node. The node leaves once empty.
 */
export async function preemptNode(
  ctx: ServiceContext,
  node: NodeRecord,
  reason: string,
): Promise<NodeRecord> {
  if (node.state === 'leaving' || node.state === 'preempted') {
    throw new HangarError(
      'Conflict',
      `Node ${node.id} is already ${node.state}${node.reason ? ` (${node.reason})` : ''}.`,
      'nodeId',
    );
  }
  const now = ctx.clock.now();
  const deadline = new Date(now.getTime() + ctx.config.jobs.cancelGraceSeconds * 1000);
  const written = await updateNode(ctx, node.id, (n) =>
    n.state === 'leaving' || n.state === 'preempted' ? undefined : { state: 'preempted', reason },
  );
  for (const job of (await ctx.store.jobs.all({ nodeId: node.id })).filter(
    (j) => !terminalStates.has(j.status),
  )) {
    // Not yet handed to the node: nothing runs there, so it goes straight back to the queue.
    await updateJob(ctx, job, (j) =>
      j.delivered ? requestPreemption(j, reason, deadline, now) : preemptAttempt(j, reason, now),
    );
  }
  await ctx.store.events.append({
    at: now.toISOString(),
    workspace: node.workspace,
    resource: `compute/${node.computeName}`,
    reason: 'NodePreempted',
    message: `Node ${node.id} preempted: ${reason}. Its jobs stop by ${deadline.toISOString()} and resume elsewhere.`,
    level: 'Warning',
  });
  ctx.signals.nodeWork(node.id);
  ctx.wake();
  return written ?? node;
}
