import { isInstance, type ComputeRecord, type InstanceRecord } from '../../domain/compute/compute-record.js';
import { parseIsoDuration } from '../../domain/compute/iso-duration.js';
import { HangarError, notFound } from '../../domain/errors/hangar-error.js';
import { idleClockReset } from '../../domain/instances/idle.js';
import type { InstanceControl } from '../../domain/instances/instance.js';
import { ssoChangeDenial, type Caller } from '../../domain/instances/instance-access.js';
import { nextOccurrence, scheduleId } from '../../domain/instances/schedules.js';
import { assertNotLocked } from '../../domain/workspace/workspace.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { ServiceContext } from '../services/service-context.js';

/** Power verbs and owner settings of compute instances; the instance and node-pool loops carry them out. */
export class InstanceService {
  constructor(private readonly ctx: ServiceContext) {}

  /** An instance of the workspace (404 when absent, 400 when the compute is another kind). */
  async instance(workspace: string, name: string): Promise<InstanceRecord> {
    if (!(await this.ctx.store.workspaces.get(workspace))) throw notFound('Workspace', workspace);
    const record = await this.ctx.store.computes.get(workspace, name);
    if (!record) throw notFound('Compute', name, `workspace '${workspace}'`);
    if (!isInstance(record)) {
      throw new HangarError(
        'OperationNotSupported',
        `'${name}' is a ${record.spec.computeType}; this operation applies to compute instances.`,
        'name',
      );
    }
    return record;
  }

  /** The node of an instance whose app gateway is up (none while it starts or leaves). */
  async gatewayNode(record: InstanceRecord): Promise<NodeRecord | undefined> {
    return (await this.ctx.store.nodes.all({ computeId: record.id })).find(
      (n) => n.state !== 'leaving' && n.instance?.gatewayPort,
    );
  }

  async start(workspace: string, name: string): Promise<ComputeRecord> {
    return this.power(
      workspace,
      name,
      'start',
      (c) => (c.power === 'Running' ? undefined : { ...c, power: 'Running' }),
      'StartRequested',
      'Start requested.',
    );
  }

  async stop(workspace: string, name: string): Promise<ComputeRecord> {
    return this.power(
      workspace,
      name,
      'stop',
      (c) => (c.power === 'Stopped' ? undefined : { ...c, power: 'Stopped', restartRequestedAt: undefined }),
      'StopRequested',
      'Stop requested.',
    );
  }

  async restart(workspace: string, name: string): Promise<ComputeRecord> {
    const now = this.ctx.clock.now().toISOString();
    return this.power(
      workspace,
      name,
      'restart',
      (c) => {
        if (c.power === 'Stopped')
          throw new HangarError(
            'Conflict',
            `Compute instance '${name}' is stopped; start it instead of restarting it.`,
            'name',
          );
        return { ...c, restartRequestedAt: now };
      },
      'RestartRequested',
      'Restart requested: the node is replaced by a fresh one; the home folder is kept.',
    );
  }

  private async power(
    workspace: string,
    name: string,
    verb: string,
    change: (c: InstanceControl) => InstanceControl | undefined,
    reason: string,
    message: string,
  ): Promise<ComputeRecord> {
    const record = await this.instance(workspace, name);
    const ws = await this.ctx.store.workspaces.get(workspace);
    if (ws) assertNotLocked(ws, 'write', `compute instance '${name}'`);
    if (record.status.provisioningState === 'Deleting')
      throw new HangarError(
        'Conflict',
        `Cannot ${verb} compute instance '${name}': it is being deleted.`,
        'name',
      );
    if (record.status.provisioningState === 'Failed')
      throw new HangarError(
        'Conflict',
        `Cannot ${verb} compute instance '${name}': its creation failed (${record.status.provisioningErrors[0]?.message ?? 'see provisioningErrors'}). Delete and create it again.`,
        'name',
      );
    if (!change(controlOf(record))) return record;
    return this.write(record, change, reason, message);
  }

  /** Azure's updateIdleShutdownSetting: ISO 8601 duration, 15 minutes to 3 days; applies the reset rule. */
  async updateIdleShutdown(workspace: string, name: string, value: unknown): Promise<ComputeRecord> {
    const record = await this.instance(workspace, name);
    if (typeof value !== 'string')
      throw new HangarError(
        'ValidationFailed',
        `idleTimeBeforeShutdown must be an ISO 8601 duration string such as PT30M; got ${JSON.stringify(value)}.`,
        'idleTimeBeforeShutdown',
      );
    const seconds = parseIsoDuration(value);
    if (seconds === undefined || seconds < 900 || seconds > 3 * 86400) {
      throw new HangarError(
        'ValidationFailed',
        `idleTimeBeforeShutdown must be an ISO 8601 duration between 15 minutes (PT15M) and 3 days (P3D); got '${value}'.`,
        'idleTimeBeforeShutdown',
      );
    }
    const now = this.ctx.clock.now();
    // The setting is spec (written against the version read); the idle clock is status: together.
    let reset = false;
    const updated = await this.ctx.store.transaction(async () => {
      const written = await this.ctx.store.computes.update({
        ...record,
        spec: { ...record.spec, properties: { ...record.spec.properties, idleTimeBeforeShutdown: value } },
        modifiedAt: now.toISOString(),
      });
      const withClock = await this.ctx.store.computes.updateStatus(record.id, (current) => {
        const control = withIdleReset(current, seconds, now);
        reset = control.idleClockResetAt !== current.instance?.idleClockResetAt;
        return reset ? { instance: control } : undefined;
      });
      return withClock ?? written;
    });
    await this.event(
      updated,
      'IdleShutdownUpdated',
      `Idle shutdown set to ${value}${reset ? '; the instance had been idle longer than that, so its idle clock restarts now' : ''}.`,
    );
    this.ctx.wake();
    return updated;
  }

  /** Skips one occurrence of a scheduled stop (the next one, or the given schedule's next). */
  async skipScheduledStop(
    workspace: string,
    name: string,
    id?: string,
  ): Promise<{ scheduleId: string; at: string }> {
    const record = await this.instance(workspace, name);
    const schedules = record.spec.properties.schedules?.computeStartStop ?? [];
    const now = this.ctx.clock.now();
    const candidates = schedules
      .map((s, i) => ({
        s,
        id: scheduleId(s, i),
        at: s.status === 'Enabled' && s.action === 'Stop' ? nextOccurrence(s, now) : undefined,
      }))
      .filter((c) => c.at !== undefined && (id === undefined || c.id === id))
      .sort((a, b) => (a.at as Date).getTime() - (b.at as Date).getTime());
    const first = candidates[0];
    if (!first?.at)
      throw new HangarError(
        'NotFound',
        id
          ? `Compute instance '${name}' has no enabled stop schedule '${id}' with an upcoming occurrence.`
          : `Compute instance '${name}' has no upcoming scheduled stop.`,
        'scheduleId',
      );
    const key = `${first.id}@${first.at.toISOString()}`;
    const skip = (c: InstanceControl): InstanceControl | undefined =>
      (c.skipped ?? []).includes(key) ? undefined : { ...c, skipped: [...(c.skipped ?? []), key] };
    if (skip(controlOf(record))) {
      await this.write(
        record,
        skip,
        'ScheduledStopSkipped',
        `The owner skipped the stop of schedule ${first.id} at ${first.at.toISOString()}; later occurrences still apply.`,
      );
    }
    return { scheduleId: first.id, at: first.at.toISOString() };
  }

  /** Turns single sign-on on or off; create-on-behalf rules decide who may (see instance-access.ts). */
  async setSso(workspace: string, name: string, enabled: boolean, caller: Caller): Promise<ComputeRecord> {
    const record = await this.instance(workspace, name);
    const denial = ssoChangeDenial(record, caller, enabled);
    if (denial) throw new HangarError('AuthorizationFailed', denial, 'enableSSO');
    const updated = await this.ctx.store.computes.update({
      ...record,
      spec: { ...record.spec, properties: { ...record.spec.properties, enableSSO: enabled } },
      modifiedAt: this.ctx.clock.now().toISOString(),
    });
    await this.event(
      updated,
      'SsoUpdated',
      `Single sign-on ${enabled ? 'enabled' : 'disabled'} by ${caller.objectId}.`,
    );
    return updated;
  }

  /**
   * A user's request of the instance: modifiedAt on the spec side (against the version read) and the
   * control block on the status side, where the instance loop writes too, in one transaction.
   * `change` is applied to the control block as stored (undefined: already as asked).
   */
  private async write(
    record: ComputeRecord,
    change: (c: InstanceControl) => InstanceControl | undefined,
    reason: string,
    message: string,
  ): Promise<ComputeRecord> {
    const updated = await this.ctx.store.transaction(async () => {
      const written = await this.ctx.store.computes.update({
        ...record,
        modifiedAt: this.ctx.clock.now().toISOString(),
      });
      const withControl = await this.ctx.store.computes.updateStatus(record.id, (current) => {
        const control = change(controlOf(current));
        return control ? { instance: control } : undefined;
      });
      return withControl ?? written;
    });
    await this.event(updated, reason, message);
    this.ctx.wake();
    return updated;
  }

  private async event(record: ComputeRecord, reason: string, message: string): Promise<void> {
    await this.ctx.store.events.append({
      at: this.ctx.clock.now().toISOString(),
      workspace: record.workspace,
      resource: `compute/${record.name}`,
      reason,
      message,
      level: 'Info',
    });
  }
}

/** The control block of an instance (records from before instances had one start Running). */
export function controlOf(record: ComputeRecord): InstanceControl {
  return record.instance ?? { power: 'Running' };
}

/** The control block after the idle setting changes to `seconds` (seed rule: a shorter setting restarts the idle clock). */
export function withIdleReset(
  record: ComputeRecord,
  seconds: number | undefined,
  now: Date,
): InstanceControl {
  const control = controlOf(record);
  const idleSince =
    typeof record.status.observed.idleSince === 'string' ? record.status.observed.idleSince : undefined;
  const reset = idleClockReset(seconds, idleSince, control.idleClockResetAt, now);
  return reset ? { ...control, idleClockResetAt: reset } : control;
}
