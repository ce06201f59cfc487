import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Marks every process the tests start (HANGAR_TEST_MARK, inherited by servers and their agents)
 * and fails the run if any of them is still alive at the end: tests must not leak processes.
 */
export function setup(): () => void {
  const mark = randomUUID();
  process.env.HANGAR_TEST_MARK = mark;
  return () => {
    const leaked = findMarked(mark).filter((pid) => pid !== process.pid);
    if (leaked.length === 0) return;
    for (const pid of leaked) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    throw new Error(`tests leaked ${leaked.length} process(es): ${leaked.map(describe).join('; ')}`);
  };
}

function findMarked(mark: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (env.includes(`HANGAR_TEST_CHILD=${mark}`)) pids.push(Number(entry));
    } catch {
      /* vanished or not ours */
    }
  }
  return pids;
}

function describe(pid: number): string {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`;
  } catch {
    return String(pid);
  }
}
