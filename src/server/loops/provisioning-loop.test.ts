import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isRecordOf, type ComputeRecord } from '../../domain/compute/compute-record.js';
import { computeRecord, testContext, type TestContext } from '../../../test/helpers/service-context.js';
import { provisioningLoop } from './provisioning-loop.js';
import { retireRunBasedComputes } from './run-based-computes.js';

/** A check of an attached backend that answers when the test says. */
function slowCheck() {
  const checked: string[] = [];
  let answer: ((found: Record<string, unknown> | undefined) => void) | undefined;
  const verify = (c: ComputeRecord): Promise<Record<string, unknown> | undefined> => {
    checked.push(
      isRecordOf(c, 'VirtualMachine') ? c.spec.properties.address : `not a machine: ${c.spec.computeType}`,
    );
    return new Promise((resolve) => (answer = resolve));
  };
  const respond = async (found: Record<string, unknown>): Promise<void> => {
    // The pass reaches the check after a few store reads.
    for (let i = 0; !answer && i < 100; i++) await new Promise((r) => setImmediate(r));
    if (!answer) throw new Error('no check is waiting');
    answer(found);
    answer = undefined;
  };
  return { verify, respond, checked };
}

const vm = (): ComputeRecord =>
  computeRecord(
    'box',
    'VirtualMachine',
    { address: 'host-1' },
    { status: { provisioningState: 'Updating', provisioningErrors: [], observed: {} } },
  );

describe('provisioning loop: status written apart from the spec', () => {
  let t: TestContext;
  beforeEach(async () => (t = await testContext()));
  afterEach(() => t.close());

  const reasons = async (): Promise<string[]> =>
    (await t.store.events.list({ workspace: 'default', resource: 'compute/box' }, { top: 100 })).items.map(
      (e) => e.reason,
    );

  it('a check of a spec the user changed meanwhile is not written; the next pass checks the new spec', async () => {
    await t.store.computes.insert(vm());
    const check = slowCheck();
    const loop = provisioningLoop(t.ctx, check.verify);
    const snapshot = await loop.read();
    const [record] = snapshot;
    if (!record) throw new Error('the Updating compute should be pending');
    const pass = loop.reconcile(record, snapshot);
    // While the backend is being checked, the user points the compute elsewhere (spec only here).
    const read = await t.store.computes.get('default', 'box');
    if (!read || !isRecordOf(read, 'VirtualMachine')) throw new Error('the machine should exist');
    const patched = await t.store.computes.update({
      ...read,
      spec: { ...read.spec, properties: { ...read.spec.properties, address: 'host-2' } },
    });
    expect(patched.version).toBe(2);
    await check.respond({ sshHostKey: 'key-of-host-1' });
    await pass;
    // No conflict for anyone, and the old check's outcome is not written onto the new spec.
    const after = await t.store.computes.get('default', 'box');
    expect(after).toMatchObject({ version: 2, status: { provisioningState: 'Updating', observed: {} } });
    expect(await reasons()).not.toContain('Provisioned');

    const next = await loop.read();
    const again = loop.reconcile(next[0] as ComputeRecord, next);
    await check.respond({ sshHostKey: 'key-of-host-2' });
    await again;
    expect(check.checked).toEqual(['host-1', 'host-2']);
    expect(await t.store.computes.get('default', 'box')).toMatchObject({
      version: 2,
      spec: { properties: { address: 'host-2' } },
      status: { provisioningState: 'Succeeded', observed: { sshHostKey: 'key-of-host-2' } },
    });
    expect(await reasons()).toContain('Provisioned');
  });

  it('a delete recorded during a check wins over its outcome', async () => {
    await t.store.computes.insert(vm());
    const check = slowCheck();
    const loop = provisioningLoop(t.ctx, check.verify);
    const snapshot = await loop.read();
    const pass = loop.reconcile(snapshot[0] as ComputeRecord, snapshot);
    await t.store.computes.updateStatus('id-box', (c) => ({
      deleteAction: 'Detach',
      status: { ...c.status, provisioningState: 'Deleting' },
    }));
    await check.respond({ sshHostKey: 'k' });
    await pass;
    expect(await t.store.computes.get('default', 'box')).toMatchObject({
      deleteAction: 'Detach',
      status: { provisioningState: 'Deleting' },
    });
  });

  it('a run-based compute is retired by a status write: the version a user writes against stays', async () => {
    await t.store.computes.insert(
      computeRecord('run1', 'AmlCompute', { vmSize: 'STANDARD_D2_V2' }, { runFor: 'job-gone' }),
    );
    const read = await t.store.computes.get('default', 'run1');
    if (!read) throw new Error('compute should exist');
    await retireRunBasedComputes(t.ctx, [read]);
    const retired = await t.store.computes.get('default', 'run1');
    expect(retired).toMatchObject({
      version: 1,
      deleteAction: 'Delete',
      runFor: 'job-gone',
      status: { provisioningState: 'Deleting' },
    });
    // A spec write from the read before it still lands, and keeps the state the loop wrote.
    const written = await t.store.computes.update({ ...read, spec: { ...read.spec, description: 'late' } });
    expect(written).toMatchObject({
      version: 2,
      deleteAction: 'Delete',
      status: { provisioningState: 'Deleting' },
    });
  });
});
