import type { ComputeRecord } from './compute-record.js';

/** What the provisioning loop should do for one compute. */
export type ProvisioningStep =
  /** Creating/Updating and nothing else to wait for: mark Succeeded. */
  | { kind: 'succeed' }
  /** Deleting and nothing left to release: remove the record and its secrets. */
  | { kind: 'remove' }
  /** Nothing to do now. */
  | { kind: 'none' };

/**
 * Decides the next provisioning step for a compute. Pure: the loop gathers what it needs
 * (e.g. how many nodes the compute still holds) and passes it in.
 */
export function decideProvisioning(record: ComputeRecord, nodesHeld: number): ProvisioningStep {
  switch (record.status.provisioningState) {
    case 'Creating':
    case 'Updating':
      return { kind: 'succeed' };
    case 'Deleting':
      return nodesHeld === 0 ? { kind: 'remove' } : { kind: 'none' };
    default:
      return { kind: 'none' };
  }
}
