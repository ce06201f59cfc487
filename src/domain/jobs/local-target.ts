/**
 * The `local` compute target, as in Azure ML: the job runs on the machine of the user who submits
 * it, by an agent inside `hangar job create`, with no compute to create first. The server still
 * records, schedules and logs it like any other job.
 */
export const localTarget = 'local';

/** Whether a job's `compute` (with or without `azureml:`) names the local target. */
export function isLocalTarget(compute: string | undefined): boolean {
  return compute !== undefined && compute.replace(/^azureml:/, '') === localTarget;
}

/** The pseudo compute id of a local job's node: it belongs to that one job. */
export function localComputeId(workspace: string, jobName: string): string {
  return `local:${workspace}/${jobName}`;
}

/** The job a local node belongs to, from its compute id; undefined for other nodes. */
export function jobOfLocalNode(computeId: string): { workspace: string; name: string } | undefined {
  const m = /^local:([^/]+)\/(.+)$/.exec(computeId);
  return m ? { workspace: m[1] ?? '', name: m[2] ?? '' } : undefined;
}
