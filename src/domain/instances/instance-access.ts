import { isInstance, type ComputeRecord, type InstanceRecord } from '../compute/compute-record.js';
import type { ComputeInstanceProperties } from '../compute/compute-schema.js';

/** Who is calling: an object id (users, service principals) as Azure identifies principals. */
export interface Caller {
  objectId: string;
}

/** The user the instance belongs to: the assigned user (create on behalf) or its creator. */
export function instanceOwner(record: InstanceRecord): string | undefined {
  return (
    record.spec.properties.personalComputeInstanceSettings?.assignedUser.objectId ??
    record.instance?.createdBy
  );
}

/** "the assigned user (id, 'name')" or "the creator (id)": how denials name the owner. */
function ownerPhrase(record: InstanceRecord, owner: string, ownerName?: string): string {
  const assigned = record.spec.properties.personalComputeInstanceSettings !== undefined;
  return `${assigned ? 'the assigned user' : 'the creator'} (${owner}${ownerName ? `, '${ownerName}'` : ''})`;
}

/**
 * Seed rule: only the instance's owner (its assigned user when created on behalf of someone, else
 * its creator) may open its Jupyter, terminal, SSH and custom applications, whatever their role.
 * Answers why access is refused, or undefined when allowed.
 */
export function applicationAccessDenial(record: InstanceRecord, caller: Caller): string | undefined {
  const owner = instanceOwner(record);
  if (owner === undefined || owner === caller.objectId) return undefined;
  return `Only ${ownerPhrase(record, owner)} may open the applications of compute instance '${record.name}'; you are ${caller.objectId}.`;
}

/** SSO counts as on unless it is explicitly off (Azure's default is on). */
const ssoOn = (p: ComputeInstanceProperties): boolean => p.enableSSO !== false;

/**
 * The settings that decide who gets into an instance and what runs in its home: SSH keys and
 * login name, setup scripts (run as the owner at every start), custom applications, and who
 * the owner is. Whoever may change them can enter the owner's instance, so only the owner may.
 */
const ownerOnlySettings: readonly [string, (p: ComputeInstanceProperties) => unknown][] = [
  ['sshSettings.adminPublicKey', (p) => p.sshSettings.adminPublicKey],
  ['sshSettings.adminUserName', (p) => p.sshSettings.adminUserName],
  ['sshSettings.sshKeyName', (p) => p.sshSettings.sshKeyName],
  ['setupScripts', (p) => p.setupScripts],
  ['customServices', (p) => p.customServices],
  ['personalComputeInstanceSettings', (p) => p.personalComputeInstanceSettings],
];

/** JSON with keys sorted, so the same settings compare equal whatever order they arrived in. */
function canonical(value: unknown): string {
  return (
    JSON.stringify(value, (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v,
    ) ?? 'undefined'
  );
}

/** The owner-only settings an update changes (turning SSO on counts; turning it off does not). */
export function ownerOnlyChanges(
  before: ComputeInstanceProperties,
  after: ComputeInstanceProperties,
): string[] {
  const changed = ownerOnlySettings
    .filter(([, get]) => canonical(get(before)) !== canonical(get(after)))
    .map(([path]) => path);
  if (ssoOn(after) && !ssoOn(before)) changed.push('enableSSO');
  return changed;
}

/**
 * An update of an instance by someone other than its owner may not touch the owner-only settings
 * (as in Azure ML, an admin manages someone's instance but does not enter it): power verbs,
 * idle shutdown, schedules, tags and deletion stay open to anyone whose role allows them.
 * Answers why the update is refused, naming the owner, or undefined when allowed.
 */
export function settingsChangeDenial(
  record: InstanceRecord,
  after: ComputeInstanceProperties,
  caller: Caller,
  ownerName?: string,
): string | undefined {
  const owner = instanceOwner(record);
  if (owner === undefined || owner === caller.objectId) return undefined;
  const changed = ownerOnlyChanges(record.spec.properties, after);
  if (changed.length === 0) return undefined;
  return `Only ${ownerPhrase(record, owner, ownerName)} may change ${changed.join(', ')} of compute instance '${record.name}': these decide who can enter it and what runs in its home. You (${caller.objectId}) may still start, stop, restart or delete it, and change its other settings.`;
}

/** Created on behalf of someone with setup scripts or custom apps: SSO starts off (seed rule). */
export function ssoStartsOff(p: ComputeInstanceProperties): boolean {
  return (
    p.personalComputeInstanceSettings !== undefined &&
    (p.setupScripts !== undefined || (p.customServices?.length ?? 0) > 0)
  );
}

/** Only the owner (the assigned user, when there is one) may turn SSO on; the creator of an instance made on someone's behalf cannot. */
export function ssoChangeDenial(record: InstanceRecord, caller: Caller, enable: boolean): string | undefined {
  const owner = instanceOwner(record);
  if (!enable || owner === undefined || caller.objectId === owner) return undefined;
  const assigned = record.spec.properties.personalComputeInstanceSettings !== undefined;
  return `Only ${ownerPhrase(record, owner)} may turn on single sign-on for compute instance '${record.name}'${assigned ? `, created on their behalf${caller.objectId === record.instance?.createdBy ? '; its creator cannot' : ''}` : ''}.`;
}

/**
 * A stored SSH key of the workspace lets in every instance that names it (`sshKeyName`), so
 * storing or replacing a key under a name that someone else's instance uses is theirs to do.
 * Answers why the key may not be stored, naming the instances and owners, or undefined.
 */
export function storedKeyChangeDenial(
  keyName: string,
  instances: readonly ComputeRecord[],
  caller: Caller,
): string | undefined {
  const others = instances.filter(isInstance).filter((r) => {
    const owner = instanceOwner(r);
    return (
      r.spec.properties.sshSettings.sshKeyName === keyName && owner !== undefined && owner !== caller.objectId
    );
  });
  if (others.length === 0) return undefined;
  const named = others.map((r) => `'${r.name}' of ${instanceOwner(r) ?? ''}`).join(', ');
  return `SSH key '${keyName}' lets in compute instance ${named}; only that owner may store a key under this name. Store yours under another name.`;
}
