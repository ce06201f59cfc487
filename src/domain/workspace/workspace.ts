import type { ScheduleSpec } from '../compute/compute-schema.js';
import { HangarError } from '../errors/hangar-error.js';

/** A management lock on a workspace (Azure resource locks). */
export interface LockSpec {
  name: string;
  /** CanNotDelete: deletes refused. ReadOnly: deletes and writes refused. */
  level: 'CanNotDelete' | 'ReadOnly';
  notes?: string;
}

/** What the store keeps for one workspace. */
export interface WorkspaceRecord {
  name: string;
  location: string;
  description?: string;
  tags: Record<string, string>;
  locks: LockSpec[];
  /** Workspace policy for compute instances (as an Azure Policy would set). */
  computeInstancePolicy?: { defaultStopSchedule?: ScheduleSpec };
  /** Stored SSH public keys instances can name (`sshSettings.sshKeyName`); private keys are never kept. */
  sshPublicKeys?: { name: string; publicKey: string; createdAt: string }[];
  createdAt: string;
  modifiedAt: string;
  version: number;
}

/** The kind of operation a lock may forbid. */
export type LockedOperation = 'delete' | 'write';

/**
 * Refuses an operation that a workspace lock forbids, naming the lock:
 * any lock blocks deletes; ReadOnly also blocks writes (creates, updates, scaling).
 */
export function assertNotLocked(workspace: WorkspaceRecord, operation: LockedOperation, what: string): void {
  const lock = workspace.locks.find((l) => operation === 'delete' || l.level === 'ReadOnly');
  if (!lock) return;
  throw new HangarError(
    'ScopeLocked',
    `Cannot ${operation === 'delete' ? 'delete' : 'change'} ${what}: workspace '${workspace.name}' has a ${lock.level} lock '${lock.name}'${lock.notes ? ` (${lock.notes})` : ''}. Remove the lock first.`,
    lock.name,
  );
}
