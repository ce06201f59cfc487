import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseProcStat, processTree } from './system-sampler.js';

describe('the /proc walk of a job', () => {
  it('parses stat lines whose command holds spaces and parentheses', () => {
    const line =
      '4242 (my (odd) cmd) S 4000 4242 4242 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1 0 100 1000 250 18446744073709551615';
    expect(parseProcStat(4242, line)).toEqual({ pid: 4242, ppid: 4000, ticks: 10, rssPages: 250 });
    expect(parseProcStat(1, 'garbage')).toBeUndefined();
  });

  it("finds a process's whole tree, not its parent's other children", () => {
    const p = (pid: number, ppid: number) => ({ pid, ppid, ticks: 1, rssPages: 1 });
    const table = [p(1, 0), p(10, 1), p(11, 10), p(12, 11), p(20, 1), p(13, 10)];
    expect(
      processTree(table, 10)
        .map((x) => x.pid)
        .sort(),
    ).toEqual([10, 11, 12, 13]);
    expect(processTree(table, 99)).toEqual([]);
  });

  it('reads this very process from /proc', () => {
    const me = parseProcStat(process.pid, readFileSync(`/proc/${process.pid}/stat`, 'utf8'));
    expect(me?.ppid).toBe(process.ppid);
    expect(me?.rssPages).toBeGreaterThan(0);
  });
});
