import { HangarError } from '../../../domain/errors/hangar-error.js';
import type { RouteInput } from '../route-def.js';
import { workspaceUrlPath } from './arm-paths.js';

/** What a long-running compute operation waits for. */
export type OperationKind = 'put' | 'delete' | 'start' | 'stop' | 'restart';

interface OperationRef {
  /** The compute. */
  n: string;
  k: OperationKind;
  /** Started at (epoch ms). */
  t: number;
}

/**
 * Operation ids carry what they wait for (compute, kind, start time), so the status route derives
 * the status from the compute's current state: nothing is stored, and a restart loses nothing.
 */
export function operationId(ref: OperationRef): string {
  return Buffer.from(JSON.stringify(ref)).toString('base64url');
}

export function readOperationId(id: string): OperationRef {
  try {
    const ref = JSON.parse(Buffer.from(id, 'base64url').toString('utf8')) as Partial<OperationRef>;
    if (
      typeof ref.n === 'string' &&
      typeof ref.t === 'number' &&
      ['put', 'delete', 'start', 'stop', 'restart'].includes(String(ref.k))
    )
      return ref as OperationRef;
  } catch {
    /* answered below */
  }
  throw new HangarError('NotFound', `No operation '${id}' in this workspace.`, 'operation');
}

/** Headers of an accepted long-running compute operation: poll Azure-AsyncOperation every second. */
export function operationHeaders(input: RouteInput, ref: OperationRef): Record<string, string> {
  const url = `${input.baseUrl}${workspaceUrlPath(input)}/computeOperations/${operationId(ref)}`;
  return { 'Azure-AsyncOperation': url, 'Retry-After': '1' };
}

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed';

/** The status of an operation from the compute as it is now (undefined: the compute is gone). */
export function operationStatus(
  kind: OperationKind,
  compute: { provisioningState: string; state?: string; restartPending: boolean } | undefined,
): OperationStatus {
  if (kind === 'delete') return compute ? 'InProgress' : 'Succeeded';
  if (!compute) return 'Failed';
  if (compute.provisioningState === 'Failed') return 'Failed';
  const up = compute.state === 'Running' || compute.state === 'JobRunning';
  const broken = compute.state === 'SetupFailed' || compute.state === 'Unusable';
  if (kind === 'put') {
    if (compute.provisioningState === 'Canceled' || broken) return 'Failed';
    // An instance is created when it runs (as on Azure); a cluster when it is provisioned.
    const ready = compute.state === undefined || up || compute.state === 'Stopped';
    return compute.provisioningState === 'Succeeded' && ready ? 'Succeeded' : 'InProgress';
  }
  if (broken) return 'Failed';
  if (kind === 'stop') return compute.state === 'Stopped' ? 'Succeeded' : 'InProgress';
  if (kind === 'restart') return up && !compute.restartPending ? 'Succeeded' : 'InProgress';
  return up ? 'Succeeded' : 'InProgress';
}
