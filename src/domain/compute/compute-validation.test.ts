import { describe, expect, it } from 'vitest';
import type { LocationConfig } from '../../config/config.js';
import { HangarError } from '../errors/hangar-error.js';
import { computeNameProblems } from './compute-names.js';
import { isSpecOf } from './compute-record.js';
import {
  immutableChangeProblems,
  validateComputeRequest,
  type ComputeValidationContext,
} from './compute-validation.js';

const location = (name: string): LocationConfig => ({
  name,
  providers: ['local'],
  vmSizes: ['*'],
  quota: { dedicatedCoresPerFamily: {}, defaultDedicatedCoresPerFamily: 64, lowPriorityCores: 64 },
});
const ctx: ComputeValidationContext = {
  workspaceLocation: 'local',
  locations: [location('local'), { ...location('gpu-lab'), vmSizes: ['Standard_NC6', 'Standard_NC12'] }],
};

const cluster = (props: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  ...extra,
  properties: { computeType: 'AmlCompute', properties: { vmSize: 'STANDARD_D3_V2', ...props } },
});
const instance = (props: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  ...extra,
  properties: { computeType: 'ComputeInstance', properties: { vmSize: 'Standard_DS3_v2', ...props } },
});
const aks = (props: Record<string, unknown>) => ({ properties: { computeType: 'AKS', properties: props } });
const vm = (account: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  properties: {
    computeType: 'VirtualMachine',
    properties: {
      address: '10.0.0.4',
      administratorAccount: { username: 'azureuser', ...account },
      ...extra,
    },
  },
});

/** The error a request gets, or undefined when it is accepted. */
function errorOf(name: string, body: unknown): HangarError | undefined {
  try {
    validateComputeRequest(name, body, ctx);
    return undefined;
  } catch (err) {
    if (err instanceof HangarError) return err;
    throw err;
  }
}
const text = (e: HangarError | undefined): string => JSON.stringify(e?.toBody());

describe('compute names', () => {
  it.each(['cpu', 'cpu-cluster', 'gpu-a1', 'A1-b2-c3', 'x'.repeat(24), 'gpu-1a'])('accepts %s', (name) => {
    expect(computeNameProblems(name)).toEqual([]);
  });
  it.each([
    ['', 'required'],
    ['ab', '3'],
    ['x'.repeat(25), '24'],
    ['1gpu', 'letter'],
    ['gpu_cluster', 'letters, digits'],
    ['gpu-1', 'gpu-1'],
    ['gpu-a-2', 'gpu-a-2'],
    ['gpu cluster', 'gpu cluster'],
    ['Local', 'reserved'],
  ])('rejects %j, naming the rule (%s)', (name, words) => {
    const problems = computeNameProblems(name);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.map((p) => p.message).join(' ')).toContain(words);
    expect(problems[0]?.target).toBe('name');
  });
  it('inference names are 2–16 characters with the same other rules', () => {
    expect(computeNameProblems('ab', 'inference')).toEqual([]);
    expect(computeNameProblems('x'.repeat(16), 'inference')).toEqual([]);
    expect(computeNameProblems('a', 'inference').length).toBeGreaterThan(0);
    expect(
      computeNameProblems('x'.repeat(17), 'inference')
        .map((p) => p.message)
        .join(),
    ).toContain('16');
    expect(computeNameProblems('aks-1', 'inference').length).toBeGreaterThan(0);
    expect(errorOf('x'.repeat(17), aks({ agentCount: 3, agentVmSize: 'Standard_D3_v2' }))).toBeDefined();
  });
});

describe('clusters (AmlCompute)', () => {
  it('accepts catalog sizes case-insensitively and fills vmType from the size', () => {
    const vmTypeOf = (body: unknown): unknown => {
      const { spec } = validateComputeRequest('cpu', body, ctx);
      return isSpecOf(spec, 'AmlCompute') ? spec.properties.vmType : `not a cluster: ${spec.computeType}`;
    };
    expect(vmTypeOf(cluster())).toBe('CPU');
    expect(vmTypeOf(cluster({ vmSize: 'standard_nc6' }))).toBe('GPU');
    expect(vmTypeOf(cluster({ vmSize: 'standard_nc6', vmType: 'GPU' }))).toBe('GPU');
  });
  it.each([
    ['unknown size', { vmSize: 'Standard_Z99' }, 'Standard_Z99'],
    ['vmType against the size', { vmSize: 'Standard_NC6', vmType: 'CPU' }, 'vmType'],
    ['priority outside Dedicated|LowPriority', { vmPriority: 'Spot' }, 'vmPriority'],
    [
      'min > max',
      { scaleSettings: { minNodeCount: 3, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: 'PT120S' } },
      'minNodeCount',
    ],
    [
      'max < 1',
      { scaleSettings: { minNodeCount: 0, maxNodeCount: 0, nodeIdleTimeBeforeScaleDown: 'PT120S' } },
      'maxNodeCount',
    ],
    [
      'negative min',
      { scaleSettings: { minNodeCount: -1, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: 'PT120S' } },
      'minNodeCount',
    ],
    [
      'idle time not ISO 8601',
      { scaleSettings: { minNodeCount: 0, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: '120' } },
      'nodeIdleTimeBeforeScaleDown',
    ],
  ])('rejects %s', (_what, props, words) => {
    const e = errorOf('cpu', cluster(props));
    expect(e?.status).toBe(400);
    expect(text(e)).toContain(words);
  });
  it('rejects a size the location does not offer', () => {
    const e = errorOf('cpu', cluster({ vmSize: 'Standard_D3_v2' }, { location: 'gpu-lab' }));
    expect(e?.code).toBe('UnknownVmSize');
    expect(text(e)).toContain('gpu-lab');
  });
  it('accepts another location with a warning about latency and cost; rejects unknown ones listing the valid', () => {
    const ok = validateComputeRequest(
      'gpu',
      cluster({ vmSize: 'Standard_NC6' }, { location: 'gpu-lab' }),
      ctx,
    );
    expect(ok.warnings.join()).toMatch(/latency.*data-transfer cost/);
    const e = errorOf('cpu', cluster({}, { location: 'mars' }));
    expect(e?.code).toBe('UnknownLocation');
    expect(e?.message).toContain('local');
    expect(e?.message).toContain('gpu-lab');
  });
  it('collects every problem in one error', () => {
    const e = errorOf(
      'gpu-1',
      cluster({
        vmSize: 'nope',
        scaleSettings: { minNodeCount: 5, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: 'PT120S' },
      }),
    );
    expect((e?.details ?? []).length).toBeGreaterThanOrEqual(3);
    expect(text(e)).toContain('gpu-1');
    expect(text(e)).toContain('nope');
    expect(text(e)).toContain('minNodeCount');
  });
});

describe('instances (ComputeInstance)', () => {
  it.each(['PT15M', 'PT1H', 'P3D', 'PT72H'])('accepts idle shutdown %s', (d) => {
    expect(errorOf('dev', instance({ idleTimeBeforeShutdown: d }))).toBeUndefined();
  });
  it.each(['PT14M', 'P3DT1M', 'PT0S'])('rejects idle shutdown %s', (d) => {
    const e = errorOf('dev', instance({ idleTimeBeforeShutdown: d }));
    expect(text(e)).toContain('idleTimeBeforeShutdown');
    expect(text(e)).toContain(d);
  });
  const schedule = {
    action: 'Stop',
    triggerType: 'Cron',
    cron: { expression: '0 18 * * *', timeZone: 'UTC' },
  };
  it('accepts up to 4 schedules and rejects a fifth', () => {
    expect(
      errorOf('dev', instance({ schedules: { computeStartStop: Array(4).fill(schedule) } })),
    ).toBeUndefined();
    expect(
      text(errorOf('dev', instance({ schedules: { computeStartStop: Array(5).fill(schedule) } }))),
    ).toContain('4');
  });
  it('rejects a bad cron expression and an unknown time zone', () => {
    expect(
      text(
        errorOf(
          'dev',
          instance({
            schedules: {
              computeStartStop: [{ ...schedule, cron: { expression: '0 18 * *', timeZone: 'UTC' } }],
            },
          }),
        ),
      ),
    ).toContain('0 18 * *');
    expect(
      text(
        errorOf(
          'dev',
          instance({
            schedules: {
              computeStartStop: [
                { ...schedule, cron: { expression: '0 18 * * *', timeZone: 'Mars/Olympus' } },
              ],
            },
          }),
        ),
      ),
    ).toContain('Mars/Olympus');
  });
  it('must live in the workspace location', () => {
    expect(errorOf('dev', instance({ vmSize: 'Standard_NC6' }, { location: 'gpu-lab' }))?.code).toBe(
      'LocationNotAllowed',
    );
  });
  it('size and SSH access are fixed at creation', () => {
    const before = validateComputeRequest(
      'dev',
      instance({ sshSettings: { sshPublicAccess: 'Disabled' } }),
      ctx,
    ).spec;
    const bigger = validateComputeRequest(
      'dev',
      instance({ vmSize: 'Standard_DS4_v2', sshSettings: { sshPublicAccess: 'Disabled' } }),
      ctx,
    ).spec;
    const ssh = validateComputeRequest(
      'dev',
      instance({
        sshSettings: {
          sshPublicAccess: 'Enabled',
          adminPublicKey:
            'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA user@host',
        },
      }),
      ctx,
    ).spec;
    expect(
      immutableChangeProblems(before, bigger)
        .map((p) => p.target)
        .join(),
    ).toContain('vmSize');
    expect(
      immutableChangeProblems(before, ssh)
        .map((p) => p.target)
        .join(),
    ).toContain('sshPublicAccess');
    const idle = validateComputeRequest(
      'dev',
      instance({ idleTimeBeforeShutdown: 'PT30M', sshSettings: { sshPublicAccess: 'Disabled' } }),
      ctx,
    ).spec;
    expect(immutableChangeProblems(before, idle)).toEqual([]);
  });
});

describe('cluster updates', () => {
  const base = validateComputeRequest('cpu', cluster({ vmPriority: 'Dedicated' }), ctx).spec;
  it.each([
    ['size', cluster({ vmSize: 'Standard_D4_v2' })],
    ['priority', cluster({ vmPriority: 'LowPriority' })],
    [
      'SSH access',
      cluster({
        remoteLoginPortPublicAccess: 'Enabled',
        userAccountCredentials: {
          adminUserName: 'a',
          adminUserSshPublicKey:
            'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA u@h',
        },
      }),
    ],
    ['location', cluster({ vmSize: 'Standard_NC6' }, { location: 'gpu-lab' })],
  ])('refuses a change of %s', (_what, body) => {
    const after = validateComputeRequest('cpu', body, ctx).spec;
    expect(immutableChangeProblems(base, after).length).toBeGreaterThan(0);
  });
  it('allows min/max, idle time, description, tags and identity to change', () => {
    const after = validateComputeRequest(
      'cpu',
      {
        tags: { a: 'b' },
        identity: { type: 'SystemAssigned' },
        properties: {
          computeType: 'AmlCompute',
          description: 'x',
          properties: {
            vmSize: 'STANDARD_D3_V2',
            vmPriority: 'Dedicated',
            scaleSettings: { minNodeCount: 1, maxNodeCount: 9, nodeIdleTimeBeforeScaleDown: 'PT600S' },
          },
        },
      },
      ctx,
    ).spec;
    expect(immutableChangeProblems(base, after)).toEqual([]);
  });
});

describe('inference clusters (AKS)', () => {
  it.each([
    [
      'FastProd with 3 × 4 cores',
      { agentCount: 3, agentVmSize: 'Standard_D3_v2', clusterPurpose: 'FastProd' },
      true,
    ],
    [
      'DenseProd with 2 × 4 cores',
      { agentCount: 2, agentVmSize: 'Standard_D3_v2', clusterPurpose: 'DenseProd' },
      false,
    ],
    [
      'FastProd with 1 × 4 cores',
      { agentCount: 1, agentVmSize: 'Standard_D3_v2', clusterPurpose: 'FastProd' },
      false,
    ],
    [
      'DevTest with 1 × 2 cores',
      { agentCount: 1, agentVmSize: 'Standard_D2_v2', clusterPurpose: 'DevTest' },
      true,
    ],
  ])('%s → accepted %s', (_what, props, ok) => {
    const e = errorOf('inf', aks(props));
    if (ok) expect(e).toBeUndefined();
    else expect(text(e)).toContain('12');
  });
  it('SSL is optional: cert+key or a leaf domain label', () => {
    const base = { agentCount: 3, agentVmSize: 'Standard_D3_v2', clusterPurpose: 'FastProd' };
    expect(
      errorOf(
        'inf',
        aks({
          ...base,
          sslConfiguration: { status: 'Enabled', cert: 'C', key: 'K', cname: 'ml.example.com' },
        }),
      ),
    ).toBeUndefined();
    expect(
      errorOf('inf', aks({ ...base, sslConfiguration: { status: 'Auto', leafDomainLabel: 'myml' } })),
    ).toBeUndefined();
    expect(
      errorOf('inf', aks({ ...base, sslConfiguration: { status: 'Enabled', cert: 'C' } })),
    ).toBeDefined();
    const v = validateComputeRequest(
      'inf',
      aks({ ...base, sslConfiguration: { status: 'Enabled', cert: 'C', key: 'K', cname: 'ml.example.com' } }),
      ctx,
    );
    expect(v.secrets).toEqual({ 'sslConfiguration.key': 'K' });
  });
});

describe('attached machines (VirtualMachine)', () => {
  it.each([
    ['password', { password: 'pw' }],
    ['private key', { privateKeyData: 'KEY' }],
    ['private key with passphrase', { privateKeyData: 'KEY', privateKeyPassphrase: 'pp' }],
  ])('accepts %s and moves it to the secret store', (_what, account) => {
    const v = validateComputeRequest('box', vm(account), ctx);
    expect(Object.values(v.secrets).sort()).toEqual(Object.values(account).sort());
    expect(JSON.stringify(v.spec)).not.toContain('"pw"');
    expect(JSON.stringify(v.spec)).not.toContain('KEY');
  });
  it.each([
    ['both password and key', vm({ password: 'pw', privateKeyData: 'KEY' }), 'password'],
    ['neither', vm({}), 'password'],
    ['a bad address', vm({ password: 'pw' }, { address: 'not an address!' }), 'not an address!'],
    ['a bad port', vm({ password: 'pw' }, { sshPort: 70000 }), 'sshPort'],
  ])('rejects %s', (_what, body, words) => {
    expect(text(errorOf('box', body))).toContain(words);
  });
  it('accepts FQDNs and IPs as addresses', () => {
    for (const address of ['gpu01.lab.example.com', '192.168.1.20', 'fe80::1'])
      expect(errorOf('box', vm({ password: 'p' }, { address }))).toBeUndefined();
  });
});
