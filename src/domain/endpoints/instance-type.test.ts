import { describe, expect, it } from 'vitest';
import { findVmSize } from '../compute/vm-sizes.js';
import { instanceTypeProblem } from './instance-type.js';

describe('instanceTypeProblem', () => {
  const d3 = findVmSize('Standard_D3_v2')!;

  it('refuses a size larger than the pool node, naming both', () => {
    const why = instanceTypeProblem({
      instanceType: 'Standard_D14_v2',
      where: "compute 'aks1'",
      nodeSize: d3,
    });
    expect(why).toContain("instance_type: 'Standard_D14_v2'");
    expect(why).toContain("does not fit a node of compute 'aks1' (Standard_D3_v2: 4 vCPUs, 0 GPU(s))");
    expect(
      instanceTypeProblem({ instanceType: 'Standard_DS2_v2', where: 'x', nodeSize: d3 }),
    ).toBeUndefined();
  });

  it("refuses a GPU size where the serving pool's host has fewer GPUs", () => {
    expect(
      instanceTypeProblem({ instanceType: 'Standard_NC6', where: 'the serving pool', hostGpus: 0 }),
    ).toBe("instance_type: 'Standard_NC6' needs 1 GPU(s) and the serving pool runs on a host with 0");
    expect(
      instanceTypeProblem({ instanceType: 'Standard_NC6', where: 'the serving pool', hostGpus: 1 }),
    ).toBeUndefined();
  });

  it("passes names that are not sizes (a Kubernetes cluster's own instance types) and unknown hosts", () => {
    expect(
      instanceTypeProblem({ instanceType: 'defaultinstancetype', where: 'x', nodeSize: d3 }),
    ).toBeUndefined();
    expect(instanceTypeProblem({ instanceType: 'Standard_NC6', where: 'x' })).toBeUndefined();
    expect(instanceTypeProblem({ instanceType: undefined, where: 'x', hostGpus: 0 })).toBeUndefined();
  });
});
