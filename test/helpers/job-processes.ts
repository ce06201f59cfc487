import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { tempDir } from './processes.js';

/**
 * Host pids of the processes whose environment holds `name=value`. Jobs run in their own PID
 * namespace, so a pid a job prints means nothing outside it: tests tag a job through its spec's
 * environment_variables and find its processes by that tag instead.
 */
export function processesWithEnv(name: string, value: string, program?: string): number[] {
  const tag = `${name}=${value}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'utf8').includes(tag)) continue;
      // Only processes running `program` (say, the job's `sleep`), when given.
      if (
        program === undefined ||
        readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[0]?.split('/').pop() === program
      )
        pids.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

/** A temp folder any user may write to (jobs of a root agent run as an unprivileged user). */
export function sharedTempDir(prefix?: string): string {
  const dir = tempDir(prefix);
  chmodSync(dir, 0o1777);
  return dir;
}

/** The list when it has something in it (for waitFor), else undefined. */
export function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}
