import { describe, expect, it } from 'vitest';
import type { LocationConfig } from '../../config/config.js';
import type { ComputeType } from './compute-kinds.js';
import type { ComputeRecord, ComputeSpec } from './compute-record.js';
import { coresHeld, quotaShortfall, usageOf } from './quota.js';
import { findVmSize, vmSizes } from './vm-sizes.js';

const location: LocationConfig = {
  name: 'local',
  providers: ['local'],
  vmSizes: ['*'],
  quota: {
    dedicatedCoresPerFamily: { standardNCFamily: 12 },
    defaultDedicatedCoresPerFamily: 24,
    lowPriorityCores: 8,
  },
};
const record = (
  computeType: ComputeType,
  properties: Record<string, unknown>,
  observed: Record<string, unknown> = {},
): ComputeRecord => ({
  id: Math.random().toString(36),
  workspace: 'default',
  name: 'c',
  createdAt: '',
  modifiedAt: '',
  version: 1,
  spec: {
    computeType,
    location: 'local',
    tags: {},
    identity: { type: 'None' },
    properties: properties as ComputeSpec['properties'],
    secretPaths: [],
  } as ComputeSpec,
  status: { provisioningState: 'Succeeded', provisioningErrors: [], observed },
});

describe('VM size catalog', () => {
  it('looks sizes up case-insensitively', () => {
    expect(findVmSize('STANDARD_D3_V2')?.name).toBe('Standard_D3_v2');
    expect(findVmSize('Standard_NC6')).toMatchObject({ family: 'standardNCFamily', vCPUs: 6, gpus: 1 });
    expect(findVmSize('Standard_Nope')).toBeUndefined();
  });
  it.each([
    'standardDv2Family',
    'standardDv3Family',
    'standardDSv2Family',
    'standardNCFamily',
    'standardNCSv3Family',
    'standardNCADSA100v4Family',
    'standardNDSFamily',
  ])('has the %s family', (family) => {
    expect(vmSizes.some((s) => s.family === family)).toBe(true);
  });
});

describe('quota', () => {
  it('an instance holds its cores while it exists, also when stopped', () => {
    expect(
      coresHeld(record('ComputeInstance', { vmSize: 'Standard_NC6' }, { state: 'Stopped' })),
    ).toMatchObject({ family: 'standardNCFamily', cores: 6, priority: 'Dedicated' });
  });
  it('a cluster counts its current nodes; low priority counts against the shared pool', () => {
    const used = usageOf([
      record('AmlCompute', { vmSize: 'Standard_NC6', vmPriority: 'Dedicated' }, { currentNodeCount: 1 }),
      record('AmlCompute', { vmSize: 'Standard_D2_v2', vmPriority: 'LowPriority' }, { currentNodeCount: 3 }),
      record('ComputeInstance', { vmSize: 'Standard_NC6' }),
    ]);
    expect(used.dedicatedByFamily.standardNCFamily).toBe(12);
    expect(used.lowPriority).toBe(6);
  });
  it('AKS holds its agents; attached kinds hold none of the quota', () => {
    expect(coresHeld(record('AKS', { agentCount: 3, agentVmSize: 'Standard_D3_v2' }))).toMatchObject({
      family: 'standardDv2Family',
      cores: 12,
      priority: 'Dedicated',
      what: 'AKS c',
    });
    expect(
      coresHeld(record('Slurm', { partition: 'p', vmSize: 'Standard_D3_v2' }, { currentNodeCount: 2 })),
    ).toBeUndefined();
    expect(
      coresHeld(
        record('AmlCompute', { vmSize: 'Standard_Nope', vmPriority: 'Dedicated' }, { currentNodeCount: 2 }),
      ),
    ).toBeUndefined();
  });
  it('a request beyond the family limit names family, usage, limit and request', () => {
    const used = usageOf([record('ComputeInstance', { vmSize: 'Standard_NC6' })]);
    const e = quotaShortfall(location, used, {
      family: 'standardNCFamily',
      cores: 12,
      priority: 'Dedicated',
      what: 'instance big',
    });
    expect(e?.code).toBe('QuotaExceeded');
    expect(e?.message).toMatch(/standardNCFamily/);
    expect(e?.message).toMatch(/\b6\b/);
    expect(e?.message).toMatch(/\b12\b/);
    expect(
      quotaShortfall(location, used, {
        family: 'standardNCFamily',
        cores: 6,
        priority: 'Dedicated',
        what: 'instance ok',
      }),
    ).toBeUndefined();
    expect(
      quotaShortfall(location, usageOf([]), {
        family: 'standardDv2Family',
        cores: 9,
        priority: 'LowPriority',
        what: 'cluster lp',
      })?.message,
    ).toMatch(/low.priority/i);
  });
});
