import { rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where an instance keeps what outlives its nodes (home folder, SSH host key, setup log) on the
 * server's host: HANGAR_HOME/instances/<compute id>. Removed when the instance is deleted.
 */
export function instanceDir(home: string, computeId: string): string {
  return join(home, 'instances', computeId);
}

/** Deletes an instance's folder (idempotent). */
export function removeInstanceDir(home: string, computeId: string): void {
  rmSync(instanceDir(home, computeId), { recursive: true, force: true });
}
