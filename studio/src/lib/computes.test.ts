import { describe, expect, it } from 'vitest';
import { computeTypes, type ComputeType } from '../../../src/domain/compute/compute-kinds.js';
import { computeTabs, stateOf, tabOf, type Compute } from './computes.js';

const compute = (computeType: ComputeType, inner: Record<string, unknown> = {}): Compute =>
  ({
    name: 'c',
    properties: { computeType, provisioningState: 'Succeeded', properties: inner },
  }) as unknown as Compute;

describe('compute tabs (from the capability table)', () => {
  it('group the kinds as Azure ML studio does', () => {
    const byTab = Object.fromEntries(computeTabs.map((t) => [t.key, [...t.types].sort()]));
    expect(byTab).toEqual({
      instances: ['ComputeInstance'],
      clusters: ['AmlCompute'],
      inference: ['AKS', 'Kubernetes'],
      attached: [
        'DataFactory',
        'DataLakeAnalytics',
        'Databricks',
        'HDInsight',
        'Slurm',
        'SynapseSpark',
        'VirtualMachine',
      ],
    });
  });

  it('put every kind on exactly one tab', () => {
    for (const type of computeTypes) {
      expect(computeTabs.filter((t) => t.types.includes(type))).toHaveLength(1);
      expect(computeTabs.find((t) => t.key === tabOf(compute(type)))?.types).toContain(type);
    }
  });

  it("show an instance's power state, other kinds their provisioning state", () => {
    expect(stateOf(compute('ComputeInstance', { state: 'Stopped' }))).toBe('Stopped');
    expect(stateOf(compute('AmlCompute', { state: 'Stopped' }))).toBe('Succeeded');
    expect(stateOf(compute('AmlCompute', { allocationState: 'Resizing' }))).toBe('Resizing');
  });
});
