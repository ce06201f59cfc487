import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  cliTypeToComputeType,
  computeKinds,
  computeTypes,
  kindOf,
  kindsThat,
  notRunnableReason,
  type ComputeType,
  type InstanceType,
  type NodeType,
  type ScalableType,
} from './compute-kinds.js';
import {
  getsNodes,
  isInstance,
  isInstanceSpec,
  isLowPriority,
  isRecordOf,
  isScalable,
  isSpecOf,
  nodeBounds,
  nodeVmSize,
  type AmlComputeSpec,
  type ComputeInstanceSpec,
  type ComputeRecord,
  type ComputeSpec,
  type InstanceRecord,
  type SlurmSpec,
  type VirtualMachineSpec,
} from './compute-record.js';
import { propertiesSchemaByType } from './compute-schema.js';
import { validateComputeRequest, type ComputeValidationContext } from './compute-validation.js';
import { toComputeResource } from './compute-view.js';

const ctx: ComputeValidationContext = {
  workspaceLocation: 'local',
  locations: [
    {
      name: 'local',
      providers: ['local'],
      vmSizes: ['*'],
      quota: { dedicatedCoresPerFamily: {}, defaultDedicatedCoresPerFamily: 64, lowPriorityCores: 64 },
    },
  ],
};

/** Valid request properties of every kind, so each spec below is what validation really stores. */
const requestProperties: Record<ComputeType, Record<string, unknown>> = {
  AmlCompute: {
    vmSize: 'Standard_D3_v2',
    vmPriority: 'LowPriority',
    scaleSettings: { minNodeCount: 1, maxNodeCount: 3 },
  },
  ComputeInstance: { vmSize: 'Standard_DS3_v2' },
  AKS: { agentCount: 3, agentVmSize: 'Standard_D3_v2' },
  Kubernetes: {},
  VirtualMachine: { address: '10.0.0.4', administratorAccount: { username: 'azureuser', password: 'pw' } },
  HDInsight: { address: '10.0.0.5', administratorAccount: { username: 'azureuser', password: 'pw' } },
  Databricks: { workspaceUrl: 'https://adb.example' },
  DataLakeAnalytics: { dataLakeStoreAccountName: 'lake' },
  SynapseSpark: { poolName: 'pool1', workspaceName: 'syn', nodeCount: 3 },
  DataFactory: {},
  Slurm: {
    partition: 'gpu',
    vmSize: 'Standard_NC6',
    scaleSettings: { minNodeCount: 0, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: 'PT5M' },
  },
};

const specOf = (type: ComputeType): ComputeSpec =>
  validateComputeRequest(
    type === 'AKS' || type === 'Kubernetes' ? 'inf1' : 'compute1',
    { properties: { computeType: type, properties: requestProperties[type] } },
    ctx,
  ).spec;

const recordOf = (type: ComputeType): ComputeRecord => ({
  id: type,
  workspace: 'w',
  name: 'c1',
  spec: specOf(type),
  status: { provisioningState: 'Succeeded', provisioningErrors: [], observed: {} },
  createdAt: '',
  modifiedAt: '',
  version: 1,
});

describe('the capability table', () => {
  it('has exactly one row per compute type of the catalogue, keyed and named by it', () => {
    expect(Object.keys(computeKinds).sort()).toEqual([...computeTypes].sort());
    for (const type of computeTypes) expect(kindOf(type).type).toBe(type);
    expect(Object.keys(propertiesSchemaByType).sort()).toEqual([...computeTypes].sort());
  });

  it('gives nodes to the kinds that run jobs and to inference clusters (their nodes host replicas)', () => {
    expect(kindsThat('getsNodes').sort()).toEqual([
      'AKS',
      'AmlCompute',
      'ComputeInstance',
      'Kubernetes',
      'Slurm',
      'VirtualMachine',
    ]);
    for (const type of kindsThat('servesInference')) expect(kindOf(type).getsNodes).toBe(true);
  });

  it("an inference cluster's nodes start as replicas need them, up to its agent count", () => {
    expect(nodeBounds(recordOf('AKS').spec)).toEqual({
      minNodeCount: 0,
      maxNodeCount: 3,
      nodeIdleTimeBeforeScaleDown: 'PT120S',
    });
    expect(nodeBounds(recordOf('Kubernetes').spec)).toMatchObject({ minNodeCount: 0, maxNodeCount: 1 });
  });

  it('lets jobs target only kinds that get nodes', () => {
    expect(kindsThat('runnableHere').sort()).toEqual([
      'AmlCompute',
      'ComputeInstance',
      'Slurm',
      'VirtualMachine',
    ]);
    for (const type of kindsThat('runnableHere')) expect(kindOf(type).getsNodes).toBe(true);
  });

  it('marks attached the kinds Azure attaches (everything but clusters, instances and AKS)', () => {
    expect(kindsThat('isAttached').sort()).toEqual([
      'DataFactory',
      'DataLakeAnalytics',
      'Databricks',
      'HDInsight',
      'Kubernetes',
      'Slurm',
      'SynapseSpark',
      'VirtualMachine',
    ]);
  });

  it('says why an attached record runs no jobs, and nothing for kinds that run them', () => {
    for (const type of ['SynapseSpark', 'DataFactory', 'HDInsight', 'Databricks'] as const) {
      const reason = notRunnableReason(type);
      expect(reason).toContain(`attached ${type} compute as a record only`);
      expect(reason).toContain('jobs run on AmlCompute, ComputeInstance, VirtualMachine, Slurm');
    }
    expect(notRunnableReason('AKS')).toContain('serves inference deployments');
    for (const type of kindsThat('runnableHere')) expect(notRunnableReason(type)).toBeUndefined();
    // Shown on the resource itself, as a warning, for records that run nothing.
    expect(toComputeResource(recordOf('SynapseSpark'), 'local').warnings).toEqual([
      `Not runnable here: ${notRunnableReason('SynapseSpark')}`,
    ]);
    expect(toComputeResource(recordOf('VirtualMachine'), 'local').warnings).toBeUndefined();
  });

  it('has inference, scalable and instance kinds as the API treats them', () => {
    expect(kindsThat('servesInference').sort()).toEqual(['AKS', 'Kubernetes']);
    expect(kindsThat('scalable').sort()).toEqual(['AmlCompute', 'Slurm']);
    expect(kindsThat('isInstance')).toEqual(['ComputeInstance']);
    expect(kindsThat('mayLiveElsewhere').sort()).toEqual(['AKS', 'AmlCompute', 'Kubernetes', 'Slurm']);
    // Re-checked on every change: the attached kinds whose nodes Hangar starts over SSH or sbatch.
    expect(kindsThat('verifiedOnChange').sort()).toEqual(['Slurm', 'VirtualMachine']);
    expect(kindsThat('verifiedOnChange')).toEqual(
      computeTypes.filter((t) => kindOf(t).isAttached && kindOf(t).getsNodes && !kindOf(t).servesInference),
    );
  });

  it('scalable kinds are exactly those whose properties schema has scaleSettings', () => {
    const withScale = computeTypes.filter((t) => 'scaleSettings' in propertiesSchemaByType[t].shape);
    expect(kindsThat('scalable')).toEqual(withScale);
  });

  it('maps every CLI type to its kind and back', () => {
    expect(Object.keys(cliTypeToComputeType)).toHaveLength(computeTypes.length);
    for (const type of computeTypes) expect(cliTypeToComputeType[kindOf(type).cliType]).toBe(type);
    expect(cliTypeToComputeType.amlcompute).toBe('AmlCompute');
    expect(cliTypeToComputeType.virtualmachine).toBe('VirtualMachine');
  });

  it('reads a kind from a type, a spec or an API resource alike', () => {
    expect(kindOf('Slurm')).toBe(computeKinds.Slurm);
    expect(kindOf(specOf('Slurm'))).toBe(computeKinds.Slurm);
    expect(kindOf({ computeType: 'AKS', other: 1 } as { computeType: ComputeType })).toBe(computeKinds.AKS);
  });

  it('types the capability sets from the rows', () => {
    expectTypeOf<ScalableType>().toEqualTypeOf<'AmlCompute' | 'Slurm'>();
    expectTypeOf<NodeType>().toEqualTypeOf<
      'AmlCompute' | 'ComputeInstance' | 'AKS' | 'Kubernetes' | 'VirtualMachine' | 'Slurm'
    >();
    expectTypeOf<InstanceType>().toEqualTypeOf<'ComputeInstance'>();
  });
});

describe('the spec union and its guards', () => {
  it('keeps the stored JSON shape: properties are what the kind schema parsed, secrets removed', () => {
    const spec = specOf('VirtualMachine');
    expect(spec).toEqual({
      computeType: 'VirtualMachine',
      location: 'local',
      tags: {},
      identity: { type: 'None' },
      properties: { address: '10.0.0.4', sshPort: 22, administratorAccount: { username: 'azureuser' } },
      secretPaths: ['administratorAccount.password'],
    });
  });

  it('isInstanceSpec / isInstance answer for instances only, and narrow to their properties', () => {
    for (const type of computeTypes) {
      expect(isInstanceSpec(specOf(type))).toBe(type === 'ComputeInstance');
      expect(isInstance(recordOf(type))).toBe(type === 'ComputeInstance');
    }
    const spec = specOf('ComputeInstance');
    if (!isInstanceSpec(spec)) throw new Error('an instance spec');
    expectTypeOf(spec).toEqualTypeOf<ComputeInstanceSpec>();
    expect(spec.properties.sshSettings.sshPublicAccess).toBe('Disabled');
    const record = recordOf('ComputeInstance');
    if (!isInstance(record)) throw new Error('an instance');
    expectTypeOf(record).toEqualTypeOf<InstanceRecord>();
    expect(record.spec.properties.applicationSharingPolicy).toBe('Shared');
  });

  it('isSpecOf / isRecordOf narrow to one kind', () => {
    const spec = specOf('VirtualMachine');
    expect(isSpecOf(spec, 'Slurm')).toBe(false);
    if (!isSpecOf(spec, 'VirtualMachine')) throw new Error('a machine');
    expectTypeOf(spec).toEqualTypeOf<VirtualMachineSpec>();
    expect(spec.properties.administratorAccount.username).toBe('azureuser');
    const record = recordOf('AmlCompute');
    expect(isRecordOf(record, 'ComputeInstance')).toBe(false);
    if (!isRecordOf(record, 'AmlCompute')) throw new Error('a cluster');
    expectTypeOf(record.spec).toEqualTypeOf<AmlComputeSpec>();
    expect(record.spec.properties.vmType).toBe('CPU');
  });

  it('isScalable narrows to the kinds with scaleSettings; getsNodes follows the table', () => {
    for (const type of computeTypes) {
      expect(isScalable(specOf(type))).toBe(kindOf(type).scalable);
      expect(getsNodes(recordOf(type))).toBe(kindOf(type).getsNodes);
    }
    const spec = specOf('Slurm');
    if (!isScalable(spec)) throw new Error('a cluster');
    expectTypeOf(spec).toEqualTypeOf<AmlComputeSpec | SlurmSpec>();
    expect(spec.properties.scaleSettings.maxNodeCount).toBe(2);
  });

  it('nodeBounds: clusters their scale settings, an instance at most one, a machine always its one', () => {
    expect(nodeBounds(specOf('AmlCompute'))).toEqual({
      minNodeCount: 1,
      maxNodeCount: 3,
      nodeIdleTimeBeforeScaleDown: 'PT120S',
    });
    expect(nodeBounds(specOf('Slurm'))).toEqual({
      minNodeCount: 0,
      maxNodeCount: 2,
      nodeIdleTimeBeforeScaleDown: 'PT5M',
    });
    expect(nodeBounds(specOf('ComputeInstance'))).toEqual({
      minNodeCount: 0,
      maxNodeCount: 1,
      nodeIdleTimeBeforeScaleDown: 'PT120S',
    });
    expect(nodeBounds(specOf('VirtualMachine'))).toEqual({
      minNodeCount: 1,
      maxNodeCount: 1,
      nodeIdleTimeBeforeScaleDown: 'PT120S',
    });
  });

  it('nodeVmSize and isLowPriority read the typed properties of the kinds that have them', () => {
    expect(nodeVmSize(specOf('AmlCompute'))).toBe('Standard_D3_v2');
    expect(nodeVmSize(specOf('ComputeInstance'))).toBe('Standard_DS3_v2');
    expect(nodeVmSize(specOf('Slurm'))).toBe('Standard_NC6');
    expect(nodeVmSize(specOf('VirtualMachine'))).toBeUndefined();
    expect(nodeVmSize(specOf('AKS'))).toBeUndefined();
    expect(isLowPriority(specOf('AmlCompute'))).toBe(true);
    expect(isLowPriority(specOf('Slurm'))).toBe(false);
    expect(isLowPriority(specOf('ComputeInstance'))).toBe(false);
  });
});
