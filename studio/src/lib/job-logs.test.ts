import { describe, expect, it } from 'vitest';
import { jobLogFiles } from '../../../src/domain/jobs/process-plan.js';
import { logChoices } from './job-logs.js';

describe('logChoices', () => {
  it("offers each process's log of a distributed job, labelled with its process", () => {
    const files = jobLogFiles({ type: 'pytorch', processCountPerInstance: 2 }, 1);
    expect(logChoices(files)).toEqual([
      { file: 'user_logs/std_log.txt', label: 'user_logs/std_log.txt' },
      { file: 'user_logs/std_log_process_0.txt', label: 'Process 0 (user_logs/std_log_process_0.txt)' },
      { file: 'user_logs/std_log_process_1.txt', label: 'Process 1 (user_logs/std_log_process_1.txt)' },
      { file: 'system_logs/agent.txt', label: 'system_logs/agent.txt' },
    ]);
  });

  it('falls back to the two files every job has when the server lists none', () => {
    expect(logChoices(undefined).map((c) => c.file)).toEqual([
      'user_logs/std_log.txt',
      'system_logs/agent.txt',
    ]);
  });
});
