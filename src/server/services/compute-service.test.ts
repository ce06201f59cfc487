import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../../../test/helpers/service-context.js';
import { ComputeService } from './compute-service.js';
import { WorkspaceService } from './workspace-service.js';

// The compute service over a real in-memory store and a fake clock: milliseconds, no processes.
let t: TestContext;
let computes: ComputeService;
const admin = { objectId: 'admin' };
const cluster = (min: number, max: number, password?: string) => ({
  properties: {
    computeType: 'AmlCompute',
    properties: {
      vmSize: 'STANDARD_D2_V2',
      scaleSettings: { minNodeCount: min, maxNodeCount: max, nodeIdleTimeBeforeScaleDown: 'PT120S' },
      ...(password ? { userAccountCredentials: { adminUserName: 'u', adminUserPassword: password } } : {}),
    },
  },
});

beforeEach(async () => {
  t = await testContext();
  await new WorkspaceService(t.ctx).ensureDefault();
  computes = new ComputeService(t.ctx);
});
afterEach(async () => t.close());

describe('ComputeService', () => {
  it('create records the desired state as Creating, wakes the loops and logs an event at the clock time', async () => {
    const { record, created } = await computes.createOrUpdate('default', 'cpu', cluster(0, 2), admin);
    expect(created).toBe(true);
    expect(record.status.provisioningState).toBe('Creating');
    expect(record.createdAt).toBe(t.clock.now().toISOString());
    expect(t.wakes()).toBeGreaterThan(0);
    const events = await computes.events('default', 'cpu', { top: 10 });
    expect(events.items.map((e) => e.reason)).toContain('Created');
  });

  it('a PATCH keeps what it does not name, bumps the version once, and never loses to a status write', async () => {
    const { record } = await computes.createOrUpdate('default', 'cpu', cluster(0, 2), admin);
    // A loop writes observed state between the read and the user's PATCH: no conflict, nothing lost.
    await t.store.computes.updateStatus(record.id, (c) => ({
      status: { ...c.status, provisioningState: 'Succeeded' },
    }));
    t.clock.advance(5_000);
    const { record: patched } = await computes.patch(
      'default',
      'cpu',
      { properties: { properties: { scaleSettings: { maxNodeCount: 4 } } } },
      admin,
    );
    expect(patched.spec.properties).toMatchObject({
      vmSize: 'STANDARD_D2_V2',
      scaleSettings: { minNodeCount: 0, maxNodeCount: 4 },
    });
    expect(patched.version).toBe(record.version + 1);
    const stored = await computes.get('default', 'cpu');
    expect(stored.status.provisioningState).toBe('Succeeded');
    expect(stored.modifiedAt).toBe(t.clock.now().toISOString());
  });

  it('bad input names the field and leaves the stored compute as it was', async () => {
    await computes.createOrUpdate('default', 'cpu', cluster(0, 2), admin);
    await expect(
      computes.patch(
        'default',
        'cpu',
        { properties: { properties: { scaleSettings: { minNodeCount: 3, maxNodeCount: 1 } } } },
        admin,
      ),
    ).rejects.toMatchObject({ code: 'ValidationFailed' });
    expect((await computes.get('default', 'cpu')).spec.properties).toMatchObject({
      scaleSettings: { minNodeCount: 0, maxNodeCount: 2 },
    });
  });

  it('secrets are stored encrypted, never in the record, and go with the compute in one transaction', async () => {
    const { record } = await computes.createOrUpdate('default', 'cpu', cluster(0, 2, 's3cret-pw'), admin);
    expect(JSON.stringify(await computes.get('default', 'cpu'))).not.toContain('s3cret-pw');
    const stored = await t.store.secrets.list(record.id);
    expect(Object.values(stored).join()).not.toContain('s3cret-pw');
    expect(Object.values(await computes.listKeys('default', 'cpu'))).toContain('s3cret-pw');
  });

  it('delete marks Deleting once (idempotent) and refuses updates meanwhile', async () => {
    await computes.createOrUpdate('default', 'cpu', cluster(0, 2), admin);
    const deleting = await computes.delete('default', 'cpu', 'Delete');
    expect(deleting.status.provisioningState).toBe('Deleting');
    expect((await computes.delete('default', 'cpu', 'Delete')).version).toBe(deleting.version);
    await expect(
      computes.patch('default', 'cpu', { properties: { description: 'x' } }, admin),
    ).rejects.toMatchObject({ code: 'Conflict' });
  });
});
