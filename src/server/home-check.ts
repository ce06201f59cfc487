import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The server cannot use its data folder; the message names the path, the error and what to do. */
export class HomeNotWritable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HomeNotWritable';
  }
}

const meaning: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/**
 * Checks, before anything is opened, that the data folder (or the nearest existing folder above
 * it, where it would be created) and its database can be written. A read-only mount answers EROFS
 * even to root, so this also holds where permission bits do not.
 */
export function assertHomeWritable(home: string): void {
  const full = resolve(home);
  let dir = full;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const paths = dir === full ? [full, join(full, 'hangar.db')].filter((p) => existsSync(p)) : [dir];
  for (const path of paths) {
    try {
      accessSync(path, constants.W_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      const what =
        path === full
          ? `the data folder ${path}`
          : path === dir
            ? `${path} (where the data folder ${full} would be created)`
            : `the database ${path}`;
      throw new HomeNotWritable(
        `cannot start: ${what} is not writable (${code}: ${meaning[code] ?? (err as Error).message}). Hangar keeps its database, secrets and job logs there: make it writable, or choose another folder with --home or HANGAR_HOME.`,
      );
    }
  }
}

/** Exit code of `hangar server` when its data folder cannot be written (sysexits' EX_CANTCREAT). */
export const HOME_NOT_WRITABLE_EXIT = 73;

/**
 * One line for a start that failed on the data folder (not writable, disk full, database not
 * openable), or undefined for other failures.
 */
export function startupStorageFailure(err: unknown, home: string): string | undefined {
  if (err instanceof HomeNotWritable) return err.message;
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (['EROFS', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT'].includes(code)) {
    const why = meaning[code] ?? (code === 'EDQUOT' ? 'disk quota exceeded' : 'no space left on device');
    return `cannot start: ${e.path ?? home} could not be written (${code}: ${why}). Hangar keeps its database, secrets and job logs in ${home}: make room or make it writable, or choose another folder with --home or HANGAR_HOME.`;
  }
  if (
    ['SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_FULL', 'SQLITE_IOERR'].includes(code) ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_IOERR')
  ) {
    return `cannot start: the database ${join(home, 'hangar.db')} could not be opened for writing (${code}: ${e.message}). Check that ${home} is writable and has free space, or choose another folder with --home or HANGAR_HOME.`;
  }
  return undefined;
}
