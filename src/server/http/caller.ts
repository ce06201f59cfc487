import type { Caller } from '../../domain/instances/instance-access.js';

/**
 * The principal every API call acts as. Until users and tokens exist (access control), the only
 * principal is the operator of this server; rules that name a user (create on behalf) compare
 * against it, so an instance assigned to someone else stays closed to the operator.
 */
export const LOCAL_OPERATOR: Caller = { objectId: 'local-operator' };

/** Identifies the caller of a request. */
export function identifyCaller(): Caller {
  return LOCAL_OPERATOR;
}
