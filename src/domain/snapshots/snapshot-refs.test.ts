import { describe, expect, it } from 'vitest';
import { snapshotIdsOf } from './snapshot-refs.js';

const run = {
  command: 'x',
  environment: { kind: 'user-managed' as const },
  env: {},
  inputs: [],
  instanceCount: 1,
  maxAttempts: 1,
};

describe('the snapshots a job makes readable', () => {
  it('are its code, inputs, outputs and checkpoint, each once', () => {
    const job = {
      run: {
        ...run,
        snapshotId: 'code',
        inputs: [
          { name: 'a', snapshotId: 'in', path: 'inputs/a' },
          { name: 'b', snapshotId: 'code', path: 'inputs/b' },
        ],
      },
      outputsSnapshotId: 'out',
      checkpointSnapshotId: 'ckpt',
    };
    expect(snapshotIdsOf(job)).toEqual(['code', 'in', 'out', 'ckpt']);
  });
  it('are none for a job without files yet', () => {
    expect(snapshotIdsOf({ run })).toEqual([]);
  });
});
