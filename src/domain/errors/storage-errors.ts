import { HangarError } from './hangar-error.js';

/** Codes that say the disk (or the user's quota) is full: Node's ENOSPC/EDQUOT, SQLite's SQLITE_FULL. */
const fullDisk = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

/** Whether an error from a write means "no space left". */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && fullDisk.has(code);
}

/** InsufficientStorage (507) naming what could not be written and why. */
export function insufficientStorage(what: string, err: unknown, target?: string): HangarError {
  const code = String((err as { code?: unknown } | null)?.code);
  const why = code === 'EDQUOT' ? 'the disk quota is used up' : 'the disk is full';
  return new HangarError(
    'InsufficientStorage',
    `The server could not store ${what}: ${why} (${code}). Free space on the server's data volume, then retry.`,
    target,
  );
}
