import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobRecord } from './job-record.js';
import {
  jobLogFiles,
  launcherScript,
  logSourceJob,
  parseFirstFailure,
  planNode,
  processLogDir,
  processLogRank,
} from './process-plan.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs a launcher for real in a fresh folder: answers its exit code, stdout and the folder. */
function launch(script: string, userCommand: string): { code: number; stdout: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'launcher-'));
  dirs.push(dir);
  const r = spawnSync('/bin/bash', ['-c', script], {
    cwd: dir,
    env: { PATH: process.env.PATH, HANGAR_USER_COMMAND: userCommand },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, dir };
}

describe('process plan', () => {
  it('plans process_count_per_instance ranked processes on one node, with Azure ML variables', () => {
    const plan = planNode({ type: 'pytorch', processCountPerInstance: 2 }, 'j', 0, ['10.0.0.5']);
    expect(plan?.env).toMatchObject({
      MASTER_ADDR: '10.0.0.5',
      WORLD_SIZE: '2',
      NODE_RANK: '0',
      AZ_BATCH_HOST_LIST: '10.0.0.5',
    });
    expect(plan?.processes.map((p) => [p.rank, p.localRank, p.log, p.env.RANK, p.env.LOCAL_RANK])).toEqual([
      [0, 0, 'user_logs/std_log_process_0.txt', '0', '0'],
      [1, 1, 'user_logs/std_log_process_1.txt', '1', '1'],
    ]);
    expect(planNode({ type: 'none', processCountPerInstance: 1 }, 'j', 0, ['h'])).toBeUndefined();
  });

  it('numbers processes globally across nodes, and MPI ones get OMPI_* variables', () => {
    const plan = planNode({ type: 'mpi', processCountPerInstance: 2 }, 'j', 1, ['h0', 'h1']);
    expect(plan?.env).toMatchObject({ WORLD_SIZE: '4', OMPI_COMM_WORLD_SIZE: '4', NODE_RANK: '1' });
    expect(plan?.processes.map((p) => p.env.OMPI_COMM_WORLD_RANK)).toEqual(['2', '3']);
    expect(plan?.processes.map((p) => p.log)).toEqual([
      'user_logs/std_log_process_2.txt',
      'user_logs/std_log_process_3.txt',
    ]);
  });

  it('lists the log files of a job and finds the node that holds a process log', () => {
    expect(jobLogFiles({ type: 'pytorch', processCountPerInstance: 2 }, 2)).toEqual([
      'user_logs/std_log.txt',
      'user_logs/std_log_process_0.txt',
      'user_logs/std_log_process_1.txt',
      'user_logs/std_log_process_2.txt',
      'user_logs/std_log_process_3.txt',
      'system_logs/agent.txt',
    ]);
    expect(jobLogFiles({ type: 'none', processCountPerInstance: 1 }, 1)).toEqual([
      'user_logs/std_log.txt',
      'system_logs/agent.txt',
    ]);
    const gang = { size: 2, distribution: { type: 'pytorch' as const, processCountPerInstance: 2 } };
    const parent = { name: 'p', gang } as Pick<JobRecord, 'name' | 'gang'>;
    expect(logSourceJob(parent, 'user_logs/std_log_process_3.txt')).toBe('p_rank1');
    expect(logSourceJob(parent, 'user_logs/std_log_process_1.txt')).toBe('p_rank0');
    expect(logSourceJob(parent, 'user_logs/std_log.txt')).toBe('p_rank0');
    expect(logSourceJob({ name: 'single' }, 'user_logs/std_log_process_1.txt')).toBe('single');
    expect(processLogRank('user_logs/std_log_process_12.txt')).toBe(12);
    expect(processLogRank('user_logs/std_log_process_../x.txt')).toBeUndefined();
    expect(processLogRank('user_logs/std_log.txt')).toBeUndefined();
  });

  it('the launcher runs every process with its variables, each to its own log and to stdout', () => {
    const plan = planNode({ type: 'pytorch', processCountPerInstance: 2 }, 'j', 0, ['127.0.0.1']);
    const script = launcherScript(plan?.processes ?? []);
    const r = launch(script, 'echo "rank $RANK local $LOCAL_RANK it\'s"');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("rank 0 local 0 it's");
    expect(r.stdout).toContain("rank 1 local 1 it's");
    expect(readFileSync(join(r.dir, processLogDir, 'std_log_process_0.txt'), 'utf8')).toBe(
      "rank 0 local 0 it's\n",
    );
    expect(readFileSync(join(r.dir, processLogDir, 'std_log_process_1.txt'), 'utf8')).toBe(
      "rank 1 local 1 it's\n",
    );
    expect(
      execFileSync('ls', ['-A', join(r.dir, processLogDir)], { encoding: 'utf8' })
        .trim()
        .split('\n'),
    ).toEqual(['std_log_process_0.txt', 'std_log_process_1.txt']);
  });

  it('the launcher stops the others when one fails and records the rank and code', () => {
    const plan = planNode({ type: 'pytorch', processCountPerInstance: 3 }, 'j', 0, ['127.0.0.1']);
    const r = launch(
      launcherScript(plan?.processes ?? []),
      'if [ "$RANK" = 2 ]; then echo bad; exit 5; fi; trap "echo stopped $RANK; exit 0" TERM; sleep 30 & wait',
    );
    // Not the spawn's 20 s timeout: the launcher ends without waiting for the sleeps left behind.
    expect(r.code).toBe(5);
    const failure = parseFirstFailure(readFileSync(join(r.dir, processLogDir, 'first_failure'), 'utf8'));
    expect(failure).toEqual({ rank: 2, exitCode: 5 });
    expect(readFileSync(join(r.dir, processLogDir, 'std_log_process_2.txt'), 'utf8')).toBe('bad\n');
    // The others got SIGTERM and what their handler printed is kept.
    expect(readFileSync(join(r.dir, processLogDir, 'std_log_process_0.txt'), 'utf8')).toBe('stopped 0\n');
    expect(parseFirstFailure('x 1')).toBeUndefined();
  });
});
