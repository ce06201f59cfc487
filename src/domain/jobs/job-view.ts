import { currentAttempt, queuePriority, type JobRecord } from './job-record.js';
import { logFilesOf } from './process-plan.js';

/** A job as the API returns it (Azure ML's JobBase shape, with Hangar's additions). */
export interface JobResource {
  id: string;
  name: string;
  type: 'Microsoft.MachineLearningServices/workspaces/jobs';
  properties: Record<string, unknown>;
  systemData: { createdAt: string; lastModifiedAt: string };
}

/** Renders a stored job for the API: desired spec fields plus observed status, reason and attempts. */
export function toJobResource(job: JobRecord, mlflowTrackingUri: string): JobResource {
  const spec = job.spec;
  const attempt = currentAttempt(job);
  const properties: Record<string, unknown> = {
    jobType: 'Command',
    status: job.status,
    statusReason: job.reason,
    priority:
      (Object.keys(queuePriority) as (keyof typeof queuePriority)[]).find(
        (k) => queuePriority[k] === job.priority,
      ) ?? job.priority,
    displayName: job.displayName ?? job.name,
    experimentName: job.experimentName,
    description: spec.description,
    tags: spec.tags ?? {},
    // The job's own string properties (az ml's `properties`), beside Azure's isArchived and parent.
    properties: spec.properties ?? {},
    isArchived: job.archived === true,
    parentJobName: job.parentJobName ?? job.gang?.parent,
    computeId: job.computeName,
    command: spec.command,
    renderedCommand: job.run.command,
    environmentId: job.run.environmentName,
    environmentVariables: spec.environment_variables ?? {},
    inputs: spec.inputs ?? {},
    outputs: spec.outputs ?? {},
    limits: spec.limits,
    resources: { instance_count: job.run.instanceCount },
    codeId: job.run.snapshotId,
    outputsSnapshotId: job.outputsSnapshotId,
    /** The asset versions its inputs read and its outputs became (`azureml:<name>:<version>` by input/output name). */
    lineage: job.assets,
    exitCode: job.exitCode,
    error: job.error,
    startTime: job.startTime,
    endTime: job.endTime,
    attempt: attempt?.attempt,
    node: attempt?.nodeId,
    attempts: job.attempts,
    maxAttempts: job.run.maxAttempts,
    // Every log file the job has (a distributed job's per process too), for `job show` and `job download --all`.
    logFiles: logFilesOf(job),
    mlflow: { trackingUri: mlflowTrackingUri, runId: job.name },
  };
  for (const key of Object.keys(properties)) if (properties[key] === undefined) delete properties[key];
  return {
    id: `/workspaces/${job.workspace}/jobs/${job.name}`,
    name: job.name,
    type: 'Microsoft.MachineLearningServices/workspaces/jobs',
    properties,
    systemData: { createdAt: job.createdAt, lastModifiedAt: job.modifiedAt },
  };
}
