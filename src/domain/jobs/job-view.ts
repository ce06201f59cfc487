import { currentAttempt, queuePriority, type JobRecord } from './job-record.js';
import { logFilesOf } from './process-plan.js';
import { sweepProperties, sweepView } from '../sweeps/sweep-view.js';
import { stepJobName } from '../pipelines/pipeline-spec.js';

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
    jobType: job.controller === 'pipeline' ? 'Pipeline' : job.controller === 'sweep' ? 'Sweep' : 'Command',
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
    // The job's own string properties (az ml's `properties`), beside Azure's isArchived and parent;
    // a sweep adds Azure's best_child_run_id.
    properties: { ...(spec.properties as Record<string, unknown> | undefined), ...sweepProperties(job) },
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
    // A pipeline: its steps (phase, job, why) in dependency order; a step: whose it is and whether it was reused.
    // A sweep: its objective, limits, best trial (metric, parameters) and every trial's outcome.
    sweep: job.sweep ? sweepView(job.sweep) : undefined,
    pipeline: job.pipeline ? pipelineView(job) : undefined,
    pipelineStep: job.pipelineStep
      ? {
          pipeline: job.pipelineStep.pipeline,
          step: job.pipelineStep.step,
          reusedFrom: job.pipelineStep.reusedFrom,
          reuse: job.pipelineStep.reuse,
        }
      : undefined,
  };
  // A pipeline runs no command: no rendered command, attempts or logs of its own.
  if (job.controller === 'pipeline')
    for (const key of [
      'renderedCommand',
      'attempts',
      'maxAttempts',
      'logFiles',
      'resources',
      'environmentId',
    ])
      delete properties[key];
  for (const key of Object.keys(properties)) if (properties[key] === undefined) delete properties[key];
  return {
    id: `/workspaces/${job.workspace}/jobs/${job.name}`,
    name: job.name,
    type: 'Microsoft.MachineLearningServices/workspaces/jobs',
    properties,
    systemData: { createdAt: job.createdAt, lastModifiedAt: job.modifiedAt },
  };
}

/** A pipeline's steps as the API shows them (a list, so step names stay as written in any client's casing). */
function pipelineView(job: JobRecord): Record<string, unknown> {
  const state = job.pipeline;
  const plan = state?.plan;
  return {
    settings: plan?.settings,
    steps: (plan?.order ?? []).map((step) => ({
      step,
      job: stepJobName(job.name, step),
      type: plan?.steps[step]?.sweep ? 'sweep' : 'command',
      component: plan?.steps[step]?.component,
      dependsOn: plan?.steps[step]?.dependsOn ?? [],
      phase: state?.phases?.[step]?.phase ?? 'NotStarted',
      why: state?.phases?.[step]?.why,
    })),
    outputs: Object.fromEntries(
      Object.entries(plan?.outputs ?? {}).map(([name, o]) => [
        name,
        `azureml://jobs/${stepJobName(job.name, o.step)}/outputs/${o.output}`,
      ]),
    ),
  };
}
