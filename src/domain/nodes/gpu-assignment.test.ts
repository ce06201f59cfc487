import { describe, expect, it } from 'vitest';
import {
  containerGpuEnv,
  gpuForProcess,
  gpuShortfall,
  gpuVisibilityEnv,
  grantGpus,
  locationGpus,
  parseGpuList,
  sizeGpuAvailability,
} from './gpu-assignment.js';

const host = [0, 1, 2, 3].map((index) => ({ index, name: 'Tesla T4', memoryMB: 15360 }));

describe('grantGpus', () => {
  it('hands out the lowest free GPUs, never one already held', () => {
    expect(grantGpus({ host, held: [], wanted: 1 })).toEqual({ kind: 'grant', indices: [0] });
    expect(
      grantGpus({
        host,
        held: [
          { nodeId: 'a', indices: [0] },
          { nodeId: 'b', indices: [2] },
        ],
        wanted: 2,
      }),
    ).toEqual({ kind: 'grant', indices: [1, 3] });
  });

  it('gives a 4-GPU host at most four 1-GPU nodes; the fifth is refused with who holds them', () => {
    const held = [];
    for (let i = 0; i < 4; i++) {
      const g = grantGpus({ host, held, wanted: 1, sizeName: 'Standard_NC6' });
      expect(g.kind).toBe('grant');
      if (g.kind === 'grant') held.push({ nodeId: `n${i}`, indices: g.indices });
    }
    expect(new Set(held.flatMap((h) => h.indices)).size).toBe(4);
    const fifth = grantGpus({ host, held, wanted: 1, sizeName: 'Standard_NC6' });
    expect(fifth).toMatchObject({ kind: 'refuse', lasting: false });
    if (fifth.kind === 'refuse') {
      expect(fifth.reason).toContain('Standard_NC6 needs 1 GPU(s)');
      expect(fifth.reason).toContain('0 of this host');
      expect(fifth.reason).toContain('n3 (3)');
    }
  });

  it('refuses for good a size with more GPUs than the host has', () => {
    const g = grantGpus({ host, held: [], wanted: 8, sizeName: 'Standard_ND40rs_v2' });
    expect(g).toMatchObject({ kind: 'refuse', lasting: true });
    expect(grantGpus({ host: [], held: [], wanted: 1 })).toMatchObject({ kind: 'refuse', lasting: true });
  });

  it('grants nothing, always, to a size without GPUs', () => {
    expect(grantGpus({ host: [], held: [], wanted: 0 })).toEqual({ kind: 'grant', indices: [] });
  });
});

describe('gpuForProcess', () => {
  it('gives each process one GPU when counts match', () => {
    expect(gpuForProcess([2, 3], 0, 2)).toEqual([2]);
    expect(gpuForProcess([2, 3], 1, 2)).toEqual([3]);
  });
  it('gives blocks when GPUs divide evenly, all GPUs otherwise', () => {
    expect(gpuForProcess([0, 1, 2, 3], 1, 2)).toEqual([2, 3]);
    expect(gpuForProcess([0, 1, 2], 1, 2)).toEqual([0, 1, 2]);
    expect(gpuForProcess([0, 1], 0, 1)).toEqual([0, 1]);
    expect(gpuForProcess([], 0, 2)).toEqual([]);
  });
});

describe('visibility variables', () => {
  it('names host indices in PCI order; an empty list hides every GPU', () => {
    expect(gpuVisibilityEnv([1, 3])).toEqual({
      CUDA_DEVICE_ORDER: 'PCI_BUS_ID',
      CUDA_VISIBLE_DEVICES: '1,3',
    });
    expect(gpuVisibilityEnv([]).CUDA_VISIBLE_DEVICES).toBe('');
  });
  it('renumbers from 0 inside a container', () => {
    expect(containerGpuEnv([2, 3], [3])).toEqual({
      NVIDIA_VISIBLE_DEVICES: '2,3',
      CUDA_VISIBLE_DEVICES: '1',
    });
    expect(containerGpuEnv([], []).NVIDIA_VISIBLE_DEVICES).toBe('void');
  });
});

describe('parseGpuList and gpuShortfall', () => {
  it('parses none and index lists, refusing anything else with the flag name', () => {
    expect(parseGpuList('none')).toEqual([]);
    expect(parseGpuList('0,2')).toEqual([0, 2]);
    expect(() => parseGpuList('a')).toThrow(/--gpus must be/);
  });
  it('names the size and the count found', () => {
    expect(gpuShortfall(host, { name: 'Standard_NC24', gpus: 4 })).toBeUndefined();
    expect(gpuShortfall(host.slice(0, 1), { name: 'Standard_NC12', gpus: 2 })).toMatch(
      /Standard_NC12 has 2 GPU\(s\) but the machine reports 1/,
    );
  });
});

describe('locationGpus and sizeGpuAvailability', () => {
  it('counts the host GPUs nodes do not hold, and marks sizes needing more than the host has', () => {
    const gpus = locationGpus(host, [{ nodeId: 'a', indices: [1, 2] }]);
    expect(gpus).toEqual({ total: 4, free: 2, models: ['Tesla T4'] });
    expect(sizeGpuAvailability({ name: 'Standard_NC24', gpus: 4 }, gpus, true)).toEqual({ available: true });
    const big = sizeGpuAvailability({ name: 'Standard_ND40rs_v2', gpus: 8 }, gpus, true);
    expect(big).toEqual({
      available: false,
      reason: "Standard_ND40rs_v2 needs 8 GPU(s) per node and this location's host has 4 GPU(s)",
    });
    // Where Slurm or SSH machines may bring their own GPUs, the host's count alone refuses nothing.
    expect(sizeGpuAvailability({ name: 'Standard_ND40rs_v2', gpus: 8 }, gpus, false)).toEqual({
      available: true,
    });
    const none = sizeGpuAvailability({ name: 'Standard_NC6', gpus: 1 }, locationGpus([], []), true);
    expect(none).toMatchObject({ available: false, reason: expect.stringContaining('no GPU') });
  });
});
