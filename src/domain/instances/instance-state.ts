import type { ProvisioningState } from '../compute/compute-kinds.js';
import type { NodeRecord } from '../nodes/node-record.js';
import type { InstanceControl, InstanceState } from './instance.js';

/** Everything the state of an instance is read from. */
export interface InstanceStateInput {
  provisioningState: ProvisioningState;
  control: InstanceControl;
  /** Its live node, if any (at most one). */
  node?: Pick<NodeRecord, 'state' | 'registeredAt' | 'instance' | 'createdAt'>;
}

/**
 * Azure's instance state from the desired power state and what the node reports. Jobs make it
 * JobRunning; setup scripts make it SettingUp / SetupFailed; a stop in progress is Stopping.
 */
export function instanceState(input: InstanceStateInput): InstanceState {
  const { provisioningState, control, node } = input;
  if (provisioningState === 'Creating') return 'Creating';
  if (provisioningState === 'Failed') return 'CreateFailed';
  if (provisioningState === 'Deleting') return 'Deleting';
  if (control.power === 'Stopped') return node ? 'Stopping' : 'Stopped';
  const fresh = node && (!control.restartRequestedAt || node.createdAt >= control.restartRequestedAt);
  if (control.restartRequestedAt && !(fresh && node?.instance?.setup.phase === 'succeeded'))
    return 'Restarting';
  if (!node || !node.registeredAt || node.state === 'preparing' || node.state === 'leaving')
    return 'Starting';
  if (node.state === 'unusable') return 'Unusable';
  const setup = node.instance?.setup.phase;
  if (setup === undefined || setup === 'running') return 'SettingUp';
  if (setup === 'failed') return 'SetupFailed';
  return node.state === 'running' ? 'JobRunning' : 'Running';
}

/** States in which the instance's applications and jobs can be used. */
export function isUsable(state: InstanceState): boolean {
  return state === 'Running' || state === 'JobRunning';
}
