import { describe, expect, it } from 'vitest';
import { isLocalTarget, jobOfLocalNode, localComputeId } from './local-target.js';

describe('local target', () => {
  it('is named local, with or without azureml:', () => {
    expect(isLocalTarget('local')).toBe(true);
    expect(isLocalTarget('azureml:local')).toBe(true);
    expect(isLocalTarget('cpu-cluster')).toBe(false);
    expect(isLocalTarget('localhost')).toBe(false);
    expect(isLocalTarget(undefined)).toBe(false);
  });

  it('ties a local node to its one job through the compute id', () => {
    expect(jobOfLocalNode(localComputeId('team-a', 'job_1'))).toEqual({ workspace: 'team-a', name: 'job_1' });
    expect(jobOfLocalNode('6f1c2e7a-0000-4000-8000-000000000000')).toBeUndefined();
  });
});
