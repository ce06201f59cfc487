import type { ComputeRecord } from '../compute/compute-record.js';

/** One managed identity of a compute: its id for role assignments and the client id jobs ask for. */
export interface ManagedIdentity {
  kind: 'SystemAssigned' | 'UserAssigned';
  /** Object id role assignments name. */
  principalId: string;
  /** What a job passes as `client_id` / `clientid` (DEFAULT_IDENTITY_CLIENT_ID). */
  clientId: string;
  name: string;
}

/**
 * The identities of a compute. A system-assigned identity is `mi-<compute id>` (a new compute, a
 * new identity, as in Azure); a user-assigned one is named by its resource id, used as both ids.
 */
export function identitiesOf(compute: Pick<ComputeRecord, 'id' | 'name' | 'spec'>): ManagedIdentity[] {
  const type = compute.spec.identity.type;
  const out: ManagedIdentity[] = [];
  if (type === 'SystemAssigned' || type === 'SystemAssigned,UserAssigned')
    out.push({
      kind: 'SystemAssigned',
      principalId: `mi-${compute.id}`,
      clientId: `mi-${compute.id}`,
      name: `${compute.name} (system-assigned)`,
    });
  if (type === 'UserAssigned' || type === 'SystemAssigned,UserAssigned') {
    for (const id of Object.keys(compute.spec.identity.userAssignedIdentities ?? {}))
      out.push({ kind: 'UserAssigned', principalId: id, clientId: id, name: id.split('/').pop() ?? id });
  }
  return out;
}

/** The identity a job uses when it names none: the only user-assigned one, else the system-assigned one. */
export function defaultIdentity(identities: ManagedIdentity[]): ManagedIdentity | undefined {
  const user = identities.filter((i) => i.kind === 'UserAssigned');
  return user.length === 1 ? user[0] : (identities.find((i) => i.kind === 'SystemAssigned') ?? user[0]);
}
