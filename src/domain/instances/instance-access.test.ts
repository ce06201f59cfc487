import { describe, expect, it } from 'vitest';
import type { ComputeRecord } from '../compute/compute-record.js';
import { applicationAccessDenial, ssoChangeDenial, ssoStartsOff } from './instance-access.js';

const record = (properties: Record<string, unknown>, createdBy = 'admin-oid'): ComputeRecord => ({
  id: 'c1', workspace: 'ws', name: 'dev', version: 1, createdAt: '', modifiedAt: '',
  spec: { computeType: 'ComputeInstance', location: 'local', tags: {}, identity: { type: 'None' }, properties: { vmSize: 'Standard_DS1_v2', sshSettings: { sshPublicAccess: 'Disabled' }, ...properties }, secretPaths: [] },
  status: { provisioningState: 'Succeeded', provisioningErrors: [], observed: {} },
  instance: { power: 'Running', createdBy },
});
const onBehalf = { personalComputeInstanceSettings: { assignedUser: { objectId: 'bob-oid', tenantId: 't' } } };

describe('who may open an instance\'s applications', () => {
  it('is its creator when nobody was assigned', () => {
    expect(applicationAccessDenial(record({}), { objectId: 'admin-oid' })).toBeUndefined();
    expect(applicationAccessDenial(record({}), { objectId: 'eve-oid' })).toContain('Only the creator (admin-oid)');
  });
  it('is only the assigned user when created on behalf of someone, not the creator', () => {
    expect(applicationAccessDenial(record(onBehalf), { objectId: 'bob-oid' })).toBeUndefined();
    expect(applicationAccessDenial(record(onBehalf), { objectId: 'admin-oid' })).toContain('Only the assigned user (bob-oid)');
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
    expect(ssoChangeDenial(record(onBehalf), { objectId: 'admin-oid' }, true)).toMatch(/assigned user \(bob-oid\).*its creator cannot/);
    expect(ssoChangeDenial(record(onBehalf), { objectId: 'admin-oid' }, false)).toBeUndefined();
  });
});
