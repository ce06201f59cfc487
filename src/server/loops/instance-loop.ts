import { isInstance, type InstanceRecord } from '../../domain/compute/compute-record.js';
import { parseIsoDuration } from '../../domain/compute/iso-duration.js';
import { busyReasons } from '../../domain/instances/idle.js';
import { utilisationBusy } from '../metrics/utilisation-activity.js';
import { decideInstance, type InstanceDecision } from '../../domain/instances/instance-decision.js';
import { instanceState, isUsable } from '../../domain/instances/instance-state.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import { controlOf } from '../instances/instance-service.js';
import type { LoopDefinition } from './loop-runner.js';
import type { ServiceContext } from '../services/service-context.js';

/** Ahead of a scheduled stop, the owner is told this long before (and can skip it). */
export const STOP_NOTICE_MS = 15 * 60_000;

/** Azure's observed instance fields, from the node's report. */
function observedOf(
  compute: InstanceRecord,
  node: NodeRecord | undefined,
  decision: InstanceDecision,
): Record<string, unknown> {
  const state = instanceState({
    provisioningState: compute.status.provisioningState,
    control: controlOf(compute),
    ...(node ? { node } : {}),
  });
  const report = node?.instance;
  const p = compute.spec.properties;
  const user = p.sshSettings.adminUserName ?? 'azureuser';
  const port = report?.ssh?.port;
  const base = `/apps/${compute.workspace}/${compute.name}`;
  const applications =
    isUsable(state) && report
      ? report.apps
          .filter((a) => a.running)
          .map((a) => ({
            displayName: a.name,
            endpointUri: `${base}/${a.name}/`,
            ...(a.publishedPort ? { publishedPort: a.publishedPort } : {}),
          }))
      : [];
  return {
    state,
    sshSettings: { ...p.sshSettings, ...(port ? { sshPort: port } : {}) },
    connectivityEndpoints:
      port && node?.address ? { publicIpAddress: node.address, privateIpAddress: node.address } : null,
    connectionString: port && node?.address ? `ssh -p ${port} ${user}@${node.address}` : null,
    applications,
    setup: report
      ? {
          phase: report.setup.phase,
          log: report.setup.log,
          ...(report.setup.failedScript ? { failedScript: report.setup.failedScript } : {}),
        }
      : null,
    idleSince: decision.observed.idleSince ?? null,
    activity: decision.observed.activity ?? (isUsable(state) ? null : `not running (${state})`),
    nextScheduledStop: decision.observed.nextScheduledStop ?? null,
    customApplications: report ? report.apps.filter((a) => a.kind === 'custom') : [],
  };
}

async function applyDecision(
  ctx: ServiceContext,
  compute: InstanceRecord,
  decision: InstanceDecision,
  observed: Record<string, unknown>,
): Promise<boolean> {
  const control = { ...controlOf(compute), ...decision.control };
  // The restart is over once the fresh node is up (its state is no longer Restarting).
  if (control.restartRequestedAt && observed.state !== 'Restarting') delete control.restartRequestedAt;
  if (decision.power) {
    control.power = decision.power.to;
    if (decision.power.to === 'Stopped') delete control.restartRequestedAt;
  }
  const nextObserved = { ...compute.status.observed, ...observed };
  const changed =
    JSON.stringify(control) !== JSON.stringify(controlOf(compute)) ||
    JSON.stringify(nextObserved) !== JSON.stringify(compute.status.observed);
  if (!changed) return false;
  // A status write: it never makes a user's write conflict. It lands only on the instance as it
  // was decided on; a user's change since (power, spec, state) wins and the next pass decides again.
  let stale = false;
  const written = await ctx.store.computes.updateStatus(compute.id, (current) => {
    stale =
      current.version !== compute.version ||
      current.status.provisioningState !== compute.status.provisioningState ||
      JSON.stringify(controlOf(current)) !== JSON.stringify(controlOf(compute));
    return stale
      ? undefined
      : {
          instance: control,
          status: { ...current.status, observed: { ...current.status.observed, ...observed } },
        };
  });
  if (!written) {
    if (stale) ctx.wake();
    return false;
  }
  const at = ctx.clock.now().toISOString();
  const resource = `compute/${compute.name}`;
  if (decision.power) {
    await ctx.store.events.append({
      at,
      workspace: compute.workspace,
      resource,
      reason: decision.power.eventReason,
      message: `${decision.power.to === 'Stopped' ? 'Stopping' : 'Starting'}: ${decision.power.reason}.`,
      level: 'Info',
    });
  }
  if (decision.notify) {
    const message = `Scheduled stop at ${decision.notify.at} (schedule ${decision.notify.scheduleId}). To keep working, skip it: hangar compute skip-stop -n ${compute.name}.`;
    await ctx.store.events.append({
      at,
      workspace: compute.workspace,
      resource,
      reason: 'ScheduledStopSoon',
      message,
      level: 'Warning',
    });
  }
  return decision.power !== undefined || observed.state !== compute.status.observed.state;
}

/**
 * The instance loop: each instance (its own key) gets its state from its node, its schedules fired,
 * idle shutdown applied, scheduled stops announced. Answers when it wants to look again.
 */
export function instanceLoop(ctx: ServiceContext): LoopDefinition<InstanceRecord[], InstanceRecord> {
  return {
    name: 'instances',
    intervalMs: ctx.config.reconcileIntervalMs,
    // Creating and Deleting instances belong to the provisioning loop (their state says so already).
    read: async () =>
      (await ctx.store.computes.all({ computeType: 'ComputeInstance' })).filter(
        (c): c is InstanceRecord =>
          isInstance(c) &&
          (c.status.provisioningState === 'Succeeded' || c.status.provisioningState === 'Updating'),
      ),
    keys: (instances) => instances,
    keyOf: (compute) => `compute/${compute.workspace}/${compute.name}`,
    reconcile: (compute) => reconcileInstance(ctx, compute),
  };
}

async function reconcileInstance(ctx: ServiceContext, compute: InstanceRecord): Promise<number | undefined> {
  const now = ctx.clock.now();
  const nodes = (await ctx.store.nodes.all({ computeId: compute.id })).filter((n) => n.state !== 'preempted');
  const node = nodes.find((n) => n.state !== 'leaving') ?? nodes[0];
  const jobsOnNode = node
    ? (await ctx.store.jobs.all({ nodeId: node.id })).filter((j) => j.status === 'Running').length
    : 0;
  const control = controlOf(compute);
  const state = instanceState({
    provisioningState: compute.status.provisioningState,
    control,
    ...(node ? { node } : {}),
  });
  const p = compute.spec.properties;
  const limit = p.idleTimeBeforeShutdown ? parseIsoDuration(p.idleTimeBeforeShutdown) : undefined;
  const idleSince =
    typeof compute.status.observed.idleSince === 'string' ? compute.status.observed.idleSince : undefined;
  const decision = decideInstance(
    {
      control,
      schedules:
        compute.status.provisioningState === 'Succeeded' ? (p.schedules?.computeStartStop ?? []) : [],
      usable: isUsable(state),
      busy: [...busyReasons(node?.instance, jobsOnNode), ...(await utilisationBusy(ctx, node))],
      createdAt: compute.createdAt,
      ...(idleSince ? { idleSince } : {}),
      ...(limit !== undefined ? { idleLimitSeconds: limit } : {}),
    },
    now,
    STOP_NOTICE_MS,
  );
  // A change (power, state) is for the other loops to act on: the node pool starts or stops the node.
  if (await applyDecision(ctx, compute, decision, observedOf(compute, node, decision))) ctx.wake();
  return decision.wakeAt ? Math.max(0, decision.wakeAt.getTime() - now.getTime()) : undefined;
}
