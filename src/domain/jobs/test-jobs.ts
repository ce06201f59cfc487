import type { JobRecord } from './job-record.js';

/** A valid queued job for tests; override any field. */
export function queuedJob(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    name: 'job-a',
    workspace: 'default',
    spec: { command: 'echo hi' },
    run: {
      command: 'echo hi',
      environment: { kind: 'user-managed' },
      env: {},
      inputs: [],
      instanceCount: 1,
      maxAttempts: 1,
    },
    computeName: 'cpu-cluster',
    experimentName: 'Default',
    status: 'Queued',
    priority: 0,
    queueSeq: 1,
    attempts: [],
    delivered: false,
    cancelRequested: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    modifiedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
    ...overrides,
  };
}
