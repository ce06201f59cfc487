import { describe, expect, it } from 'vitest';
import type { LocationConfig } from '../../../src/config/config.js';
import {
  validateComputeRequest,
  type ComputeValidationContext,
} from '../../../src/domain/compute/compute-validation.js';
import { HangarError } from '../../../src/domain/errors/hangar-error.js';
import { emptyForm, requestOf, type ComputeForm, type FormKind } from './compute-form-state.js';
import { newSchedule } from './schedule-model.js';

const local: LocationConfig = {
  name: 'local',
  providers: ['local'],
  vmSizes: ['*'],
  quota: { dedicatedCoresPerFamily: {}, defaultDedicatedCoresPerFamily: 64, lowPriorityCores: 64 },
};
const ctx: ComputeValidationContext = { workspaceLocation: 'local', locations: [local] };

/** What the server's own validation says of the body a form sends (undefined: accepted). */
function verdict(form: ComputeForm): string | undefined {
  try {
    validateComputeRequest(form.name, requestOf(form), ctx);
    return undefined;
  } catch (err) {
    if (err instanceof HangarError) return err.message;
    throw err;
  }
}

const filled = (kind: FormKind, patch: Partial<ComputeForm> = {}): ComputeForm => {
  const f = emptyForm(kind);
  return {
    ...f,
    name: 'box-a',
    machine: { ...f.machine, address: '10.0.0.4', user: 'me', privateKey: 'KEY' },
    slurm: { ...f.slurm, partition: 'debug' },
    ...patch,
  };
};

describe('the studio forms send requests the server accepts', () => {
  it.each(['instance', 'cluster', 'inference', 'ssh', 'slurm'] as const)(
    'a %s form with its defaults',
    (kind) => {
      expect(verdict(filled(kind, kind === 'inference' ? { name: 'inf-a' } : {}))).toBeUndefined();
    },
  );

  it('an instance with every choice: schedule, idle shutdown, stored key, system identity, stopped', () => {
    const form = filled('instance', {
      schedules: [newSchedule()],
      idleShutdown: { enabled: true, minutes: 30 },
      ssh: { choice: 'stored', keyName: 'k1', publicKey: '' },
      identity: { type: 'SystemAssigned', userAssigned: '' },
      startAfterCreation: false,
    });
    expect(verdict(form)).toBeUndefined();
    expect(requestOf(form)).toMatchObject({
      identity: { type: 'SystemAssigned' },
      properties: {
        computeType: 'ComputeInstance',
        properties: {
          idleTimeBeforeShutdown: 'PT30M',
          startAfterCreation: false,
          sshSettings: { sshPublicAccess: 'Enabled', sshKeyName: 'k1' },
          schedules: {
            computeStartStop: [
              {
                action: 'Stop',
                triggerType: 'Recurrence',
                recurrence: {
                  frequency: 'Week',
                  schedule: {
                    hours: [18],
                    weekDays: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
                  },
                },
              },
            ],
          },
        },
      },
    });
  });

  it('a low-priority cluster with SSH to nodes, and a Slurm cluster through a login node', () => {
    const cluster = filled('cluster', {
      priority: 'LowPriority',
      minNodes: 1,
      maxNodes: 3,
      idleSeconds: 300,
      clusterSsh: {
        enabled: true,
        user: 'azureuser',
        publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBSLI6XtovdYYdpfuZqq53sBHIfcqUIwEzU4u1lN09Cb me',
      },
    });
    expect(verdict(cluster)).toBeUndefined();
    expect(requestOf(cluster)).toMatchObject({
      properties: {
        properties: {
          vmPriority: 'LowPriority',
          scaleSettings: { minNodeCount: 1, maxNodeCount: 3, nodeIdleTimeBeforeScaleDown: 'PT300S' },
          remoteLoginPortPublicAccess: 'Enabled',
        },
      },
    });
    const slurm = filled('slurm', {
      slurm: {
        partition: 'gpu',
        qos: 'normal',
        account: '',
        where: 'login',
        slurmConf: '/ignored',
        loginHost: 'me@login:2222',
        privateKey: 'KEY',
      },
    });
    expect(verdict(slurm)).toBeUndefined();
    expect(requestOf(slurm).properties).toEqual({
      computeType: 'Slurm',
      properties: {
        partition: 'gpu',
        qos: 'normal',
        vmPriority: 'Dedicated',
        scaleSettings: { minNodeCount: 0, maxNodeCount: 2, nodeIdleTimeBeforeScaleDown: 'PT120S' },
        loginHost: 'me@login:2222',
        sshPrivateKey: 'KEY',
      },
    });
  });

  it('the server, not the form, has the last word: bad values come back named', () => {
    expect(verdict(filled('cluster', { minNodes: 5, maxNodes: 2 }))).toMatch(
      /minNodeCount must be ≤ maxNodeCount/,
    );
    expect(verdict(filled('instance', { idleShutdown: { enabled: true, minutes: 5 } }))).toMatch(
      /idleTimeBeforeShutdown/,
    );
  });
});
