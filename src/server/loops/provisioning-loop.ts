import { isInstance, type ComputeRecord } from '../../domain/compute/compute-record.js';
import { decideProvisioning } from '../../domain/compute/provisioning-decision.js';
import type { LoopDefinition } from './loop-runner.js';
import type { ServiceContext } from '../services/service-context.js';
import { removeInstanceDir } from '../instances/instance-dirs.js';

const pendingStates = ['Creating', 'Updating', 'Deleting'] as const;

/**
 * The provisioning loop: finishes creates/updates and removes deleted computes once they hold
 * nothing. Each pending compute is its own key. Idempotent; safe to run after a restart.
 * `verify` checks an attached backend before the compute is declared ready.
 */
export function provisioningLoop(
  ctx: ServiceContext,
  verify?: (compute: ComputeRecord) => Promise<Record<string, unknown> | undefined>,
): LoopDefinition<ComputeRecord[], ComputeRecord> {
  return {
    name: 'provisioning',
    intervalMs: ctx.config.reconcileIntervalMs,
    read: async () =>
      (
        await Promise.all(
          pendingStates.map((provisioningState) => ctx.store.computes.all({ provisioningState })),
        )
      ).flat(),
    keys: (pending) => pending,
    keyOf: (record) => `compute/${record.workspace}/${record.name}`,
    reconcile: (record) => provisionCompute(ctx, record, verify),
  };
}

async function provisionCompute(
  ctx: ServiceContext,
  record: ComputeRecord,
  verify?: (compute: ComputeRecord) => Promise<Record<string, unknown> | undefined>,
): Promise<void> {
  const step = decideProvisioning(record, (await ctx.store.nodes.all({ computeId: record.id })).length);
  const now = ctx.clock.now().toISOString();
  if (step.kind === 'succeed') {
    // An attached backend is checked first; what it said goes on the compute word for word.
    let observed: Record<string, unknown> | undefined;
    const problem = verify
      ? await verify(record).then(
          (o) => void (observed = o),
          (err: Error) => err.message,
        )
      : undefined;
    if (problem) {
      const failed = await ctx.store.computes.updateStatus(record.id, (current) =>
        stillAsChecked(current, record)
          ? {
              status: {
                ...current.status,
                provisioningState: 'Failed',
                provisioningErrors: [{ code: 'ProviderError', message: problem }],
              },
            }
          : undefined,
      );
      // Changed meanwhile (a new spec, a delete): the next pass decides again.
      if (!failed) return;
      await ctx.store.events.append({
        at: now,
        workspace: record.workspace,
        resource: `compute/${record.name}`,
        reason: 'ProvisioningFailed',
        message: problem,
        level: 'Error',
      });
      return;
    }
    // What the check found (an SSH host key to pin) is kept on the compute.
    const succeeded = await ctx.store.computes.updateStatus(record.id, (current) =>
      stillAsChecked(current, record)
        ? {
            status: {
              ...current.status,
              provisioningState: 'Succeeded',
              provisioningErrors: [],
              observed: { ...current.status.observed, ...observed },
            },
          }
        : undefined,
    );
    if (!succeeded) return;
    await ctx.store.events.append({
      at: now,
      workspace: record.workspace,
      resource: `compute/${record.name}`,
      reason: 'Provisioned',
      message: 'Provisioning succeeded.',
      level: 'Info',
    });
  } else if (step.kind === 'remove') {
    // The compute and its secrets go together: a crash never leaves secrets of a compute that is gone.
    await ctx.store.transaction(async () => {
      await ctx.store.computes.delete(record.id);
      await ctx.store.secrets.deleteOwner(record.id);
    });
    if (isInstance(record) && record.deleteAction !== 'Detach') removeInstanceDir(ctx.config.home, record.id);
    const verb = record.deleteAction === 'Detach' ? 'Detached' : 'Deleted';
    await ctx.store.events.append({
      at: now,
      workspace: record.workspace,
      resource: `compute/${record.name}`,
      reason: verb,
      message: `${verb}.`,
      level: 'Info',
    });
  }
}

/**
 * The outcome of a check is written only onto the compute it checked: the same spec (a PATCH
 * since asks for a check of its own) in the same state (a delete since wins).
 */
function stillAsChecked(current: ComputeRecord, checked: ComputeRecord): boolean {
  return (
    current.version === checked.version &&
    current.status.provisioningState === checked.status.provisioningState
  );
}
