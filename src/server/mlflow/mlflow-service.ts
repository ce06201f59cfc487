import { HangarError } from '../../domain/errors/hangar-error.js';
import type { KeyValue, MetricPoint } from '../../domain/metrics/run-data.js';
import type { JobRecord } from '../../domain/jobs/job-record.js';
import type { ServiceContext } from '../services/service-context.js';

/** MLflow's RunStatus for each job state. */
function runStatus(job: JobRecord): string {
  if (job.status === 'Completed') return 'FINISHED';
  if (job.status === 'Failed') return 'FAILED';
  if (job.status === 'Canceled') return 'KILLED';
  if (
    job.status === 'Running' ||
    job.status === 'Finalizing' ||
    job.status === 'NotResponding' ||
    job.status === 'CancelRequested'
  )
    return 'RUNNING';
  return 'SCHEDULED';
}

/**
 * MLflow tracking over Hangar jobs: a run is a job (run_id = job name, experiment = the job's
 * experiment), so scripts that call mlflow.log_metric & co. work unchanged.
 */
export class MlflowService {
  constructor(private readonly ctx: ServiceContext) {}

  /** The job behind a run id; MLflow answers RESOURCE_DOES_NOT_EXIST otherwise. */
  async job(workspace: string, runId: unknown): Promise<JobRecord> {
    if (typeof runId !== 'string' || runId === '')
      throw new HangarError(
        'ValidationFailed',
        "run_id: required (the job's name; MLFLOW_RUN_ID in a job).",
        'run_id',
      );
    const job = await this.ctx.store.jobs.get(workspace, runId);
    if (!job)
      throw new HangarError(
        'NotFound',
        `Run '${runId}' does not exist: no job of that name in workspace '${workspace}'.`,
        'run_id',
      );
    return job;
  }

  async logMetrics(workspace: string, runId: unknown, metrics: MetricPoint[]): Promise<void> {
    const job = await this.job(workspace, runId);
    if (metrics.length > 0) await this.ctx.store.runData.logMetrics(workspace, job.name, metrics);
  }

  async logParams(workspace: string, runId: unknown, params: KeyValue[]): Promise<void> {
    const job = await this.job(workspace, runId);
    if (params.length > 0) await this.ctx.store.runData.logParams(workspace, job.name, params);
  }

  async setTags(workspace: string, runId: unknown, tags: KeyValue[]): Promise<void> {
    const job = await this.job(workspace, runId);
    if (tags.length > 0) await this.ctx.store.runData.setTags(workspace, job.name, tags);
  }

  /** MLflow's Run object: info + data (latest metrics, params, tags). */
  async run(workspace: string, runId: unknown): Promise<Record<string, unknown>> {
    const job = await this.job(workspace, runId);
    const data = this.ctx.store.runData;
    const [metrics, params, tags] = await Promise.all([
      data.latestMetrics(workspace, job.name),
      data.params(workspace, job.name),
      data.tags(workspace, job.name),
    ]);
    const ms = (t?: string): number | undefined => (t ? new Date(t).getTime() : undefined);
    return {
      info: {
        run_id: job.name,
        run_uuid: job.name,
        run_name: job.displayName ?? job.name,
        experiment_id: job.experimentName,
        status: runStatus(job),
        start_time: ms(job.startTime ?? job.createdAt),
        end_time: ms(job.endTime),
        lifecycle_stage: 'active',
        artifact_uri: '',
      },
      data: { metrics, params, tags },
    };
  }

  async history(workspace: string, runId: unknown, key: unknown): Promise<MetricPoint[]> {
    const job = await this.job(workspace, runId);
    if (typeof key !== 'string' || key === '')
      throw new HangarError('ValidationFailed', 'metric_key: required.', 'metric_key');
    return this.ctx.store.runData.metricHistory(workspace, job.name, key);
  }
}
