import { describe, expect, it } from 'vitest';
import { computeRecord } from '../../../test/helpers/service-context.js';
import { toComputeResource } from './compute-view.js';

const oldKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOldOldOldOldOldOldOldOldOldOldOldOldOld alice@laptop';
const newKey = oldKey.replace('alice@laptop', 'alice@desktop');

describe('toComputeResource', () => {
  it("shows an instance's desired SSH settings over the copy last observed, with the observed port", () => {
    const record = computeRecord(
      'alice-dev',
      'ComputeInstance',
      { vmSize: 'Standard_DS1_v2', sshSettings: { sshPublicAccess: 'Enabled', adminPublicKey: newKey } },
      {
        status: {
          provisioningState: 'Succeeded',
          provisioningErrors: [],
          observed: {
            state: 'Running',
            sshSettings: { sshPublicAccess: 'Enabled', adminPublicKey: oldKey, sshPort: 50022 },
          },
        },
      },
    );
    const props = toComputeResource(record, 'local').properties.properties as Record<string, any>;
    expect(props.sshSettings).toEqual({ sshPublicAccess: 'Enabled', adminPublicKey: newKey, sshPort: 50022 });
    expect(props.state).toBe('Running');
  });
});
