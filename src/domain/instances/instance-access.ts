import type { ComputeRecord } from '../compute/compute-record.js';
import type { ComputeInstanceProperties } from '../compute/compute-schema.js';

/** Who is calling: an object id (users, service principals) as Azure identifies principals. */
export interface Caller {
  objectId: string;
}

function props(record: ComputeRecord): ComputeInstanceProperties {
  return record.spec.properties as ComputeInstanceProperties;
}

/** The user the instance belongs to: the assigned user (create on behalf) or its creator. */
export function instanceOwner(record: ComputeRecord): string | undefined {
  return props(record).personalComputeInstanceSettings?.assignedUser.objectId ?? record.instance?.createdBy;
}

/**
 * Seed rule: only the instance's owner (its assigned user when created on behalf of someone, else
 * its creator) may open its Jupyter, terminal, SSH and custom applications, whatever their role.
 * Answers why access is refused, or undefined when allowed.
 */
export function applicationAccessDenial(record: ComputeRecord, caller: Caller): string | undefined {
  const owner = instanceOwner(record);
  if (owner === undefined || owner === caller.objectId) return undefined;
  const assigned = props(record).personalComputeInstanceSettings !== undefined;
  return `Only ${assigned ? 'the assigned user' : 'the creator'} (${owner}) may open the applications of compute instance '${record.name}'; you are ${caller.objectId}.`;
}

/** Created on behalf of someone with setup scripts or custom apps: SSO starts off (seed rule). */
export function ssoStartsOff(p: ComputeInstanceProperties): boolean {
  return p.personalComputeInstanceSettings !== undefined && (p.setupScripts !== undefined || (p.customServices?.length ?? 0) > 0);
}

/** Only the assigned user may turn SSO on for such an instance; the creator cannot. */
export function ssoChangeDenial(record: ComputeRecord, caller: Caller, enable: boolean): string | undefined {
  const p = props(record);
  const assigned = p.personalComputeInstanceSettings?.assignedUser.objectId;
  if (!enable || assigned === undefined) return undefined;
  if (caller.objectId !== assigned) {
    return `Only the assigned user (${assigned}) may turn on single sign-on for compute instance '${record.name}', created on their behalf${caller.objectId === record.instance?.createdBy ? '; its creator cannot' : ''}.`;
  }
  return undefined;
}
