import { describe, expect, it } from 'vitest';
import type { HangarError } from '../errors/hangar-error.js';
import { distributionEnv, parseDistribution, processEnv, rendezvousPort } from './distribution.js';

describe('distribution', () => {
  it('names an unknown key inside distribution, with the fields the type has', () => {
    const bad = (raw: Record<string, unknown>): HangarError => {
      try {
        parseDistribution(raw, 2);
      } catch (err) {
        return err as HangarError;
      }
      throw new Error('accepted');
    };
    const e = bad({ type: 'pytorch', process_count: 2 });
    expect(e.code).toBe('ValidationFailed');
    expect(e.target).toBe('distribution.process_count');
    expect(e.message).toContain('type, process_count_per_instance');
    expect(e.message).toContain('got 2');
    expect(bad({ type: 'tensorflow', worker_count: 2, ps: 1 }).target).toBe('distribution.ps');
    expect(bad({ type: 'mpi', process_count_per_instance: 2, extra: 'x' }).target).toBe('distribution.extra');
    expect(parseDistribution({ type: 'tensorflow', worker_count: 2, parameter_server_count: 0 }, 2)).toEqual({
      type: 'tensorflow',
      workerCount: 2,
    });
  });
  it('reads az ml distribution types and names a bad field', () => {
    expect(parseDistribution({ type: 'pytorch', process_count_per_instance: 2 }, 2)).toEqual({
      type: 'pytorch',
      processCountPerInstance: 2,
    });
    expect(parseDistribution({ type: 'TensorFlow' }, 3)).toEqual({ type: 'tensorflow', workerCount: 3 });
    expect(parseDistribution(undefined, 2)).toEqual({ type: 'none', processCountPerInstance: 1 });
    expect(() => parseDistribution({ type: 'ray' }, 2)).toThrow(
      /distribution.type: must be pytorch, mpi or tensorflow; got 'ray'/,
    );
    expect(() => parseDistribution({ type: 'mpi', process_count_per_instance: 0 }, 2)).toThrow(
      /distribution.process_count_per_instance/,
    );
  });

  it('gives each node the variables PyTorch, MPI and TensorFlow expect', () => {
    const port = rendezvousPort('job-a');
    const torch = distributionEnv({ type: 'pytorch', processCountPerInstance: 2 }, 'job-a', 1, ['h0', 'h1']);
    expect(torch).toMatchObject({
      MASTER_ADDR: 'h0',
      MASTER_PORT: String(port),
      WORLD_SIZE: '4',
      NODE_RANK: '1',
      AZ_BATCH_HOST_LIST: 'h0,h1',
    });
    expect(processEnv({ type: 'pytorch', processCountPerInstance: 2 }, 1, 1, ['h0', 'h1'], 'job-a')).toEqual({
      RANK: '3',
      LOCAL_RANK: '1',
      LOCAL_WORLD_SIZE: '2',
    });
    expect(
      distributionEnv({ type: 'mpi', processCountPerInstance: 1 }, 'job-a', 0, ['h0', 'h1']),
    ).toMatchObject({ OMPI_COMM_WORLD_SIZE: '2', PMI_SIZE: '2' });
    expect(
      processEnv({ type: 'mpi', processCountPerInstance: 1 }, 1, 0, ['h0', 'h1'], 'job-a'),
    ).toMatchObject({
      OMPI_COMM_WORLD_RANK: '1',
      PMI_RANK: '1',
    });
    const tf = JSON.parse(
      processEnv({ type: 'tensorflow', workerCount: 2 }, 1, 0, ['h0', 'h1'], 'job-a').TF_CONFIG ?? '{}',
    );
    expect(tf).toEqual({
      cluster: { worker: [`h0:${port + 1}`, `h1:${port + 2}`] },
      task: { type: 'worker', index: 1 },
    });
  });

  it('spreads TensorFlow workers over the nodes, one TF_CONFIG index per worker', () => {
    const port = rendezvousPort('job-b');
    const tf = JSON.parse(
      processEnv({ type: 'tensorflow', workerCount: 2 }, 0, 1, ['h0'], 'job-b').TF_CONFIG ?? '{}',
    );
    expect(tf).toEqual({
      cluster: { worker: [`h0:${port + 1}`, `h0:${port + 2}`] },
      task: { type: 'worker', index: 1 },
    });
  });
});
