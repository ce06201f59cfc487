import { minutesToIso, secondsToIso } from '../../../src/domain/compute/iso-duration.js';
import type { Schedule } from './schedule-model.js';

/** The managed identity a compute's jobs use. */
export interface IdentityState {
  type: 'None' | 'SystemAssigned' | 'UserAssigned';
  userAssigned: string;
}

/** The API's `identity` for a state. */
export function identityOf(s: IdentityState): Record<string, unknown> | undefined {
  if (s.type === 'None') return undefined;
  if (s.type === 'SystemAssigned') return { type: 'SystemAssigned' };
  return {
    type: 'UserAssigned',
    userAssignedIdentities: Object.fromEntries(
      s.userAssigned
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
        .map((id) => [id, {}]),
    ),
  };
}

/** How an instance gets its SSH key (Azure ML studio's four choices). */
export type SshChoice = 'off' | 'generate' | 'stored' | 'paste' | 'later';

/** The SSH part of a create form: its choice plus what the choice needs. */
export interface SshState {
  choice: SshChoice;
  keyName: string;
  publicKey: string;
}

/** The API's sshSettings for a state; a generated pair is stored as `keyName` first (the SSH settings form stores it). */
export function sshSettingsOf(s: SshState): Record<string, unknown> | undefined {
  if (s.choice === 'off') return undefined;
  if (s.choice === 'later') return { sshPublicAccess: 'Enabled' };
  if (s.choice === 'paste') return { sshPublicAccess: 'Enabled', adminPublicKey: s.publicKey.trim() };
  return { sshPublicAccess: 'Enabled', sshKeyName: s.keyName };
}

/** Which create or attach form a page shows. */
export type FormKind = 'instance' | 'cluster' | 'inference' | 'ssh' | 'slurm';

/** Everything any of the forms edits; each kind reads its own part. */
export interface ComputeForm {
  kind: FormKind;
  name: string;
  location: string;
  description: string;
  vmSize: string;
  priority: 'Dedicated' | 'LowPriority';
  minNodes: number;
  maxNodes: number;
  idleSeconds: number;
  ssh: SshState;
  clusterSsh: { enabled: boolean; user: string; publicKey: string };
  identity: IdentityState;
  schedules: Schedule[];
  idleShutdown: { enabled: boolean; minutes: number };
  startAfterCreation: boolean;
  agentCount: number;
  clusterPurpose: 'FastProd' | 'DenseProd' | 'DevTest';
  machine: {
    address: string;
    port: number;
    user: string;
    auth: 'key' | 'password';
    privateKey: string;
    password: string;
  };
  slurm: {
    partition: string;
    qos: string;
    account: string;
    where: 'local' | 'login';
    slurmConf: string;
    loginHost: string;
    privateKey: string;
  };
}

/** A fresh form of a kind, with Azure ML studio's defaults. */
export function emptyForm(kind: FormKind): ComputeForm {
  return {
    kind,
    name: '',
    location: 'local',
    description: '',
    vmSize: kind === 'inference' ? 'Standard_D3_v2' : 'Standard_D1_v2',
    priority: 'Dedicated',
    minNodes: 0,
    maxNodes: kind === 'slurm' ? 2 : 4,
    idleSeconds: 120,
    ssh: { choice: 'off', keyName: '', publicKey: '' },
    clusterSsh: { enabled: false, user: 'azureuser', publicKey: '' },
    identity: { type: 'None', userAssigned: '' },
    schedules: [],
    idleShutdown: { enabled: true, minutes: 60 },
    startAfterCreation: true,
    agentCount: 3,
    clusterPurpose: 'FastProd',
    machine: { address: '', port: 22, user: '', auth: 'key', privateKey: '', password: '' },
    slurm: {
      partition: '',
      qos: '',
      account: '',
      where: 'local',
      slurmConf: '',
      loginHost: '',
      privateKey: '',
    },
  };
}

const scale = (f: ComputeForm): Record<string, unknown> => ({
  minNodeCount: f.minNodes,
  maxNodeCount: f.maxNodes,
  nodeIdleTimeBeforeScaleDown: secondsToIso(f.idleSeconds),
});

function typeProperties(f: ComputeForm): { computeType: string; properties: Record<string, unknown> } {
  switch (f.kind) {
    case 'instance': {
      const ssh = sshSettingsOf(f.ssh);
      return {
        computeType: 'ComputeInstance',
        properties: {
          vmSize: f.vmSize,
          startAfterCreation: f.startAfterCreation,
          ...(ssh ? { sshSettings: ssh } : {}),
          ...(f.idleShutdown.enabled ? { idleTimeBeforeShutdown: minutesToIso(f.idleShutdown.minutes) } : {}),
          ...(f.schedules.length ? { schedules: { computeStartStop: f.schedules } } : {}),
        },
      };
    }
    case 'cluster':
      return {
        computeType: 'AmlCompute',
        properties: {
          vmSize: f.vmSize,
          vmPriority: f.priority,
          scaleSettings: scale(f),
          remoteLoginPortPublicAccess: f.clusterSsh.enabled ? 'Enabled' : 'Disabled',
          ...(f.clusterSsh.enabled
            ? {
                userAccountCredentials: {
                  adminUserName: f.clusterSsh.user,
                  adminUserSshPublicKey: f.clusterSsh.publicKey.trim(),
                },
              }
            : {}),
        },
      };
    case 'inference':
      return {
        computeType: 'AKS',
        properties: { agentVmSize: f.vmSize, agentCount: f.agentCount, clusterPurpose: f.clusterPurpose },
      };
    case 'ssh': {
      const m = f.machine;
      return {
        computeType: 'VirtualMachine',
        properties: {
          address: m.address,
          sshPort: m.port,
          administratorAccount: {
            username: m.user,
            ...(m.auth === 'key' ? { privateKeyData: m.privateKey } : { password: m.password }),
          },
        },
      };
    }
    case 'slurm': {
      const s = f.slurm;
      return {
        computeType: 'Slurm',
        properties: {
          partition: s.partition,
          vmPriority: f.priority,
          scaleSettings: scale(f),
          ...(s.qos ? { qos: s.qos } : {}),
          ...(s.account ? { account: s.account } : {}),
          ...(s.where === 'local'
            ? s.slurmConf
              ? { slurmConf: s.slurmConf }
              : {}
            : { loginHost: s.loginHost, sshPrivateKey: s.privateKey }),
        },
      };
    }
  }
}

/** The PUT body of a form (what `az ml compute create` would send for the same choices). */
export function requestOf(f: ComputeForm): Record<string, unknown> {
  const identity = identityOf(f.identity);
  return {
    location: f.location,
    ...(identity ? { identity } : {}),
    properties: { ...typeProperties(f), ...(f.description ? { description: f.description } : {}) },
  };
}
