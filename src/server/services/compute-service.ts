import { randomUUID } from 'node:crypto';
import { kindOf } from '../../domain/compute/compute-kinds.js';
import {
  isInstance,
  isInstanceSpec,
  isSpecOf,
  type ComputeRecord,
  type InstanceRecord,
} from '../../domain/compute/compute-record.js';
import {
  immutableChangeProblems,
  putPath,
  validateComputeRequest,
  type ValidatedCompute,
} from '../../domain/compute/compute-validation.js';
import { initialObserved, specToRequest } from '../../domain/compute/compute-view.js';
import { coresHeld, quotaShortfall, usageOf } from '../../domain/compute/quota.js';
import { findVmSize } from '../../domain/compute/vm-sizes.js';
import type { EventRecord } from '../../domain/events/event.js';
import { HangarError, notFound, throwIfProblems } from '../../domain/errors/hangar-error.js';
import { mergePatch } from '../../domain/json-merge-patch.js';
import { assertNotLocked, type WorkspaceRecord } from '../../domain/workspace/workspace.js';
import type { NodeRecord } from '../../domain/nodes/node-record.js';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import { preemptNode } from '../nodes/preemption.js';
import type { ComputeFilter, Page, PageRequest } from '../../store/store.js';
import { withCanonicalLocation } from './location-service.js';
import type { ServiceContext } from './service-context.js';
import { parseIsoDuration } from '../../domain/compute/iso-duration.js';
import {
  instanceOwner,
  settingsChangeDenial,
  ssoStartsOff,
  type Caller,
} from '../../domain/instances/instance-access.js';
import { withIdleReset } from '../instances/instance-service.js';

/** Result of create-or-update: the record, whether it is new, and warnings for the caller. */
export interface ComputeWriteResult {
  record: ComputeRecord;
  created: boolean;
  warnings: string[];
}

/** Compute use cases: records desired state; the provisioning loop carries it out. */
export class ComputeService {
  constructor(private readonly ctx: ServiceContext) {}

  async workspace(name: string): Promise<WorkspaceRecord> {
    const ws = await this.ctx.store.workspaces.get(name);
    if (!ws) throw notFound('Workspace', name);
    return ws;
  }

  async get(workspace: string, name: string): Promise<ComputeRecord> {
    await this.workspace(workspace);
    const record = await this.ctx.store.computes.get(workspace, name);
    if (!record) throw notFound('Compute', name, `workspace '${workspace}'`);
    return record;
  }

  async list(
    workspace: string,
    filter: Omit<ComputeFilter, 'workspace'>,
    page: PageRequest,
  ): Promise<Page<ComputeRecord>> {
    await this.workspace(workspace);
    return this.ctx.store.computes.list({ ...filter, workspace }, page);
  }

  /** PUT: creates the compute, or updates it when it exists (immutable fields refused). */
  async createOrUpdate(
    workspace: string,
    name: string,
    body: unknown,
    caller?: Caller,
  ): Promise<ComputeWriteResult> {
    const ws = await this.workspace(workspace);
    const existing = await this.ctx.store.computes.get(workspace, name);
    if (existing) return this.update(ws, existing, body, true, caller);
    assertNotLocked(ws, 'write', `compute '${name}'`);
    const { record, validated } = this.newRecord(ws, name, body);
    const policyNote = isInstance(record) ? prepareInstance(record, ws, caller) : undefined;
    await this.checkQuotaForNew(record);
    // A compute and its secrets land together: a crash never leaves one without the other.
    await this.ctx.store.transaction(async () => {
      await this.ctx.store.computes.insert(record);
      await this.saveSecrets(record.id, validated.secrets);
    });
    await this.event(
      record,
      'Created',
      `${kindOf(record.spec).isAttached ? 'Attach' : 'Create'} requested (${record.spec.computeType}).`,
    );
    if (policyNote) await this.event(record, 'PolicyApplied', policyNote);
    this.ctx.wake();
    return { record, created: true, warnings: validated.warnings };
  }

  /**
   * The record a create would store (validated and quota-checked, nothing written), so a caller
   * that creates a compute on behalf of something else (the serverless pool of a job) can check
   * that something first and create the compute only when it is sure to be used.
   */
  async preview(workspace: string, name: string, body: unknown): Promise<ComputeRecord> {
    const ws = await this.workspace(workspace);
    assertNotLocked(ws, 'write', `compute '${name}'`);
    const { record } = this.newRecord(ws, name, body);
    await this.checkQuotaForNew(record);
    return record;
  }

  private newRecord(
    ws: WorkspaceRecord,
    name: string,
    body: unknown,
  ): { record: ComputeRecord; validated: ValidatedCompute } {
    const validated = validateComputeRequest(
      name,
      withCanonicalLocation(this.ctx.config, body),
      this.validationContext(ws),
    );
    const now = this.ctx.clock.now().toISOString();
    const record: ComputeRecord = {
      id: randomUUID(),
      workspace: ws.name,
      name,
      spec: validated.spec,
      status: { provisioningState: 'Creating', provisioningErrors: [], observed: initialObserved(validated) },
      createdAt: now,
      modifiedAt: now,
      version: 1,
    };
    return { record, validated };
  }

  /** PATCH: a JSON merge patch over the current desired state, validated as a whole. */
  async patch(workspace: string, name: string, patch: unknown, caller: Caller): Promise<ComputeWriteResult> {
    const ws = await this.workspace(workspace);
    const existing = await this.get(workspace, name);
    const current = specToRequest(existing, await this.readSecrets(existing.id));
    return this.update(ws, existing, mergePatch(current, patch), false, caller);
  }

  /** Updates by PUT or PATCH; without a caller (none today) the instance owner rules refuse every owner-only change. */
  private async update(
    ws: WorkspaceRecord,
    existing: ComputeRecord,
    body: unknown,
    fillSecrets: boolean,
    caller: Caller | undefined,
  ): Promise<ComputeWriteResult> {
    assertNotLocked(ws, 'write', `compute '${existing.name}'`);
    if (existing.status.provisioningState === 'Deleting') {
      throw new HangarError(
        'Conflict',
        `Compute '${existing.name}' is being deleted; wait for the deletion to finish.`,
        existing.name,
      );
    }
    const request = fillSecrets ? await this.withStoredSecrets(existing, body) : body;
    const validated: ValidatedCompute = validateComputeRequest(
      existing.name,
      withCanonicalLocation(this.ctx.config, request),
      this.validationContext(ws),
    );
    throwIfProblems(immutableChangeProblems(existing.spec, validated.spec));
    // The kind cannot change (immutableChangeProblems): an instance stays an instance.
    if (isInstance(existing) && isInstanceSpec(validated.spec))
      await this.checkOwnerSettings(
        existing,
        validated.spec.properties,
        caller ?? { objectId: '(no caller)' },
      );
    const now = this.ctx.clock.now();
    // An attached machine or cluster is checked again (reachable, credentials, host key) on every change.
    const recheck = kindOf(existing.spec).verifiedOnChange;
    const idleAfter = isInstanceSpec(validated.spec)
      ? validated.spec.properties.idleTimeBeforeShutdown
      : undefined;
    const idleChanged =
      isInstanceSpec(existing.spec) && idleAfter !== existing.spec.properties.idleTimeBeforeShutdown;
    const idleSeconds = idleChanged ? parseIsoDuration(idleAfter ?? '') : undefined;
    // The spec is written against the version read (the loops never bump it, so only another
    // user's write conflicts); the state it sets goes on the status side, in the same transaction.
    const record = await this.ctx.store.transaction(async () => {
      const written = await this.ctx.store.computes.update({
        ...existing,
        spec: validated.spec,
        modifiedAt: now.toISOString(),
      });
      const withStatus =
        recheck || idleChanged
          ? await this.ctx.store.computes.updateStatus(existing.id, (current) => {
              if (current.status.provisioningState === 'Deleting')
                throw new HangarError(
                  'Conflict',
                  `Compute '${existing.name}' is being deleted; wait for the deletion to finish.`,
                  existing.name,
                );
              return {
                ...(recheck ? { status: { ...current.status, provisioningState: 'Updating' as const } } : {}),
                ...(idleChanged ? { instance: withIdleReset(current, idleSeconds, now) } : {}),
              };
            })
          : undefined;
      await this.ctx.store.secrets.deleteOwner(existing.id);
      await this.saveSecrets(existing.id, validated.secrets);
      return withStatus ?? written;
    });
    await this.event(record, 'Updated', 'Desired state updated.');
    this.ctx.wake();
    return { record, created: false, warnings: validated.warnings };
  }

  /** DELETE: records the deletion (or detach); the provisioning loop releases resources and removes it. */
  async delete(workspace: string, name: string, action: 'Delete' | 'Detach'): Promise<ComputeRecord> {
    const ws = await this.workspace(workspace);
    const existing = await this.get(workspace, name);
    assertNotLocked(ws, 'delete', `compute '${name}'`);
    if (action === 'Detach' && !kindOf(existing.spec).isAttached) {
      throw new HangarError(
        'OperationNotSupported',
        `Compute '${name}' is a ${existing.spec.computeType} created by Hangar; detach applies only to attached computes. Delete it instead.`,
        'underlyingResourceAction',
      );
    }
    if (existing.status.provisioningState === 'Deleting') return existing;
    // A state the user sets: the spec (modifiedAt) against the version read, and the state on the
    // status side, in one transaction.
    const record = await this.ctx.store.transaction(async () => {
      const written = await this.ctx.store.computes.update({
        ...existing,
        modifiedAt: this.ctx.clock.now().toISOString(),
      });
      const deleting = await this.ctx.store.computes.updateStatus(existing.id, (current) =>
        current.status.provisioningState === 'Deleting'
          ? undefined
          : { deleteAction: action, status: { ...current.status, provisioningState: 'Deleting' } },
      );
      return deleting ?? written;
    });
    await this.event(
      record,
      action === 'Detach' ? 'DetachRequested' : 'DeleteRequested',
      `${action} requested.`,
    );
    this.ctx.wake();
    return record;
  }

  /** Events of one compute, oldest first. */
  async events(workspace: string, name: string, page: PageRequest): Promise<Page<EventRecord>> {
    await this.get(workspace, name);
    return this.ctx.store.events.list({ workspace, resource: `compute/${name}` }, page);
  }

  /** The nodes of a compute, with the jobs of the compute (list-nodes shows which runs on which node). */
  async nodesWithJobs(record: ComputeRecord): Promise<{ nodes: NodeRecord[]; jobs: readonly JobRecord[] }> {
    const nodes = await this.ctx.store.nodes.all({ computeId: record.id });
    const jobs = await this.ctx.store.jobs.all({ workspace: record.workspace, computeName: record.name });
    return { nodes, jobs };
  }

  /** Secret values of a compute (the list-keys action); never part of an ordinary read. */
  /** Admin: preempts one node of a low-priority cluster (see preemption.ts). */
  async preemptNode(workspace: string, name: string, nodeId: string): Promise<NodeRecord> {
    const compute = await this.get(workspace, name);
    if (compute.spec.computeType !== 'AmlCompute' || compute.spec.properties.vmPriority !== 'LowPriority') {
      throw new HangarError(
        'OperationNotSupported',
        `Only nodes of low-priority clusters can be preempted; '${name}' is ${compute.spec.computeType === 'AmlCompute' ? 'a dedicated cluster' : `a ${compute.spec.computeType}`}.`,
        'name',
      );
    }
    const node = await this.ctx.store.nodes.get(nodeId);
    if (!node || node.computeId !== compute.id)
      throw new HangarError(
        'NotFound',
        `Node '${nodeId}' is not a node of '${name}'; see \`hangar compute list-nodes -n ${name}\`.`,
        'nodeId',
      );
    return preemptNode(this.ctx, node, 'preempted by an administrator');
  }

  async listKeys(workspace: string, name: string): Promise<Record<string, string>> {
    const record = await this.get(workspace, name);
    return this.readSecrets(record.id);
  }

  /** SSH keys, scripts, apps and SSO of an instance are its owner's to change (see instance-access.ts). */
  private async checkOwnerSettings(
    existing: InstanceRecord,
    after: InstanceRecord['spec']['properties'],
    caller: Caller,
  ): Promise<void> {
    if (!settingsChangeDenial(existing, after, caller)) return;
    const owner = instanceOwner(existing);
    const ownerName = owner === undefined ? undefined : (await this.ctx.store.access.getUser(owner))?.name;
    const denial = settingsChangeDenial(existing, after, caller, ownerName);
    if (denial) {
      await this.event(existing, 'ChangeDenied', denial);
      throw new HangarError('AuthorizationFailed', denial, 'properties.properties');
    }
  }

  private validationContext(ws: WorkspaceRecord): {
    workspaceLocation: string;
    locations: HangarConfigLocations;
  } {
    return { workspaceLocation: ws.location, locations: this.ctx.config.locations };
  }

  private async checkQuotaForNew(record: ComputeRecord): Promise<void> {
    const location = this.ctx.config.locations.find((l) => l.name === record.spec.location);
    if (!location) return;
    const request = coresNeededAtCreation(record);
    // Nothing to admit (a cluster that starts at 0 nodes): the location's usage need not be read.
    if (!request || request.cores <= 0) return;
    const usage = usageOf(await this.ctx.store.computes.all({ location: record.spec.location }));
    const shortfall = quotaShortfall(location, usage, request);
    if (shortfall) throw shortfall;
  }

  private async withStoredSecrets(existing: ComputeRecord, body: unknown): Promise<unknown> {
    const stored = await this.readSecrets(existing.id);
    if (Object.keys(stored).length === 0 || typeof body !== 'object' || body === null) return body;
    // Secrets are never returned by reads, so a re-applied YAML/PUT usually lacks them: keep the stored ones.
    const properties: Record<string, unknown> = {};
    for (const [path, value] of Object.entries(stored)) putPath(properties, path, value);
    return mergePatch({ properties: { properties } }, body);
  }

  private async saveSecrets(ownerId: string, secrets: Record<string, string>): Promise<void> {
    for (const [key, value] of Object.entries(secrets)) {
      await this.ctx.store.secrets.put(ownerId, key, this.ctx.secrets.encrypt(value));
    }
  }

  private async readSecrets(ownerId: string): Promise<Record<string, string>> {
    const stored = await this.ctx.store.secrets.list(ownerId);
    return Object.fromEntries(Object.entries(stored).map(([k, v]) => [k, this.ctx.secrets.decrypt(v)]));
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

/**
 * A new instance: desired power (created stopped when asked), its creator, SSO off when created on
 * behalf of someone with scripts or apps, and the workspace's default stop schedule when it has none.
 * Answers the policy note to record, if the policy applied.
 */
function prepareInstance(
  record: InstanceRecord,
  ws: WorkspaceRecord,
  caller: Caller | undefined,
): string | undefined {
  const p = record.spec.properties;
  record.instance = {
    power: p.startAfterCreation === false ? 'Stopped' : 'Running',
    ...(caller ? { createdBy: caller.objectId } : {}),
  };
  if (ssoStartsOff(p)) record.spec.properties = { ...record.spec.properties, enableSSO: false };
  const policy = ws.computeInstancePolicy?.defaultStopSchedule;
  if (!policy || (p.schedules?.computeStartStop.length ?? 0) > 0) return undefined;
  record.spec.properties = {
    ...record.spec.properties,
    schedules: { computeStartStop: [{ ...policy, id: policy.id ?? 'workspace-default-stop' }] },
  };
  return `Workspace policy: the instance had no schedule, so it got the workspace's default stop schedule (${policy.cron?.expression ?? policy.recurrence?.frequency ?? ''} ${policy.cron?.timeZone ?? policy.recurrence?.timeZone ?? ''}).`;
}

type HangarConfigLocations = ServiceContext['config']['locations'];

/** Cores a new compute needs at once: an instance its size, a cluster its minimum nodes, AKS its agents. */
function coresNeededAtCreation(record: ComputeRecord): ReturnType<typeof coresHeld> {
  if (isSpecOf(record.spec, 'AmlCompute')) {
    const p = record.spec.properties;
    const size = findVmSize(p.vmSize);
    const min = p.scaleSettings.minNodeCount;
    if (!size) return undefined;
    return {
      family: size.family,
      cores: min * size.vCPUs,
      priority: p.vmPriority,
      what: `cluster ${record.name} (${min} × ${size.name})`,
    };
  }
  return coresHeld(record);
}
