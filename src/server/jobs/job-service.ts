import { deploymentOfReplicaParent, replicaParent } from '../../domain/endpoints/endpoint-record.js';
import { randomBytes } from 'node:crypto';
import { HangarError } from '../../domain/errors/hangar-error.js';
import { currentAttempt, type JobRecord, type JobState } from '../../domain/jobs/job-record.js';
import { logSourceJob } from '../../domain/jobs/process-plan.js';
import { requestCancel } from '../../domain/jobs/job-transitions.js';
import type { EventRecord } from '../../domain/events/event.js';
import type { MetricPoint } from '../../domain/metrics/run-data.js';
import type { Page, PageRequest } from '../../store/store.js';
import type { ComputeService } from '../services/compute-service.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import type { AssetResolution } from '../assets/asset-resolution.js';
import { jobKey } from './job-key.js';
import { submitJob, type JobSubmission, type SubmittedJob } from './job-submission.js';
import { isServerless, serverlessCompute, type DeferredCompute } from './serverless-pool.js';
import { updateJob } from './job-writes.js';
import { requestPipelineCancel, submitPipeline } from '../pipelines/pipeline-submission.js';
import { submitSweep } from '../sweeps/sweep-submission.js';
import { applyJobUpdate, type JobUpdate } from '../../domain/jobs/job-update.js';
import { isLogFile, logFileRule } from './log-store.js';

/** Filters of the job list. */
export interface JobListFilter {
  computeName?: string;
  experimentName?: string;
  statuses?: JobState[];
  /** Azure's ListViewType: ActiveOnly (the default) leaves archived jobs out. */
  view?: 'ActiveOnly' | 'ArchivedOnly' | 'All';
}

/** Jobs: submit, read, cancel; logs and metrics. */
export class JobService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly snapshots: SnapshotService,
    private readonly computes: ComputeService,
    /** The asset layer: resolves `azureml:` and datastore inputs, records lineage. */
    private readonly assets?: AssetResolution,
  ) {}

  /** MLFLOW_TRACKING_URI for jobs of a workspace. */
  trackingUri(workspace: string): string {
    return `${this.ctx.publicUrl()}/api/workspaces/${workspace}/mlflow`;
  }

  /** Validates, resolves and queues a job; everything that can fail before queueing fails here. */
  async submit(workspace: string, name: string | undefined, body: JobSubmission): Promise<SubmittedJob> {
    // A pipeline runs no command: it is recorded whole and its loop submits the steps.
    if (body.spec.type === 'pipeline') {
      const submitted = await submitPipeline(
        this.ctx,
        { snapshots: this.snapshots, ...(this.assets ? { assets: this.assets } : {}) },
        workspace,
        name,
        body,
      );
      this.ctx.wake();
      return submitted;
    }
    // A sweep runs no command either: recorded with its config, its loop samples and submits the trials.
    if (body.spec.type === 'sweep') {
      const submitted = await submitSweep(
        this.ctx,
        {
          snapshots: this.snapshots,
          ...(this.assets ? { assets: this.assets } : {}),
          trackingUri: (ws) => this.trackingUri(ws),
        },
        workspace,
        name,
        body,
      );
      this.ctx.wake();
      return submitted;
    }
    // Serverless (no compute:): the workspace's autoscaling pool, created on first use.
    let deferred: DeferredCompute | undefined;
    if (isServerless(body.spec.compute)) {
      const pool = await this.serverless(workspace, body);
      if (typeof pool !== 'string') deferred = pool;
      body = {
        ...body,
        spec: { ...body.spec, compute: typeof pool === 'string' ? pool : pool.preview.name },
      };
    }
    const inline = body.spec.compute;
    if (inline === null || typeof inline !== 'object') {
      const submitted = await submitJob(
        this.ctx,
        this.snapshots,
        workspace,
        name,
        body,
        this.trackingUri(workspace),
        this.assets,
        deferred,
      );
      this.ctx.wake();
      return submitted;
    }
    return this.submitRunBased(workspace, name, body, inline);
  }

  /**
   * The serverless pool its resources.instance_type and queue_settings.job_tier ask for: its name,
   * or the pool submitJob creates once the rest of the spec has passed its checks.
   */
  private async serverless(workspace: string, body: JobSubmission): Promise<string | DeferredCompute> {
    const field = (group: string, key: string): string | undefined => {
      const g = body.spec[group];
      const v = g !== null && typeof g === 'object' ? (g as Record<string, unknown>)[key] : undefined;
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    const instanceType = field('resources', 'instance_type');
    const jobTier = field('queue_settings', 'job_tier');
    return serverlessCompute(this.computes, this.ctx.config.jobs, workspace, {
      ...(instanceType ? { instanceType } : {}),
      ...(jobTier ? { jobTier } : {}),
    });
  }

  /**
   * Run-based compute (as Azure's): `compute` is a cluster create body; a cluster is made for
   * this job (validated and quota-checked like any), and the node-pool loop deletes it when the
   * job ends. If the job is refused, the cluster goes at once.
   */
  private async submitRunBased(
    workspace: string,
    name: string | undefined,
    body: JobSubmission,
    inline: object,
  ): Promise<SubmittedJob> {
    const computeName = `run${randomBytes(6).toString('hex')}`;
    const { record } = await this.computes.createOrUpdate(workspace, computeName, inline);
    if (record.spec.computeType !== 'AmlCompute') {
      await this.computes.delete(workspace, computeName, 'Delete');
      throw new HangarError(
        'ValidationFailed',
        `compute: an inline compute must be a cluster (type amlcompute); got ${record.spec.computeType}.`,
        'compute',
      );
    }
    try {
      const submitted = await submitJob(
        this.ctx,
        this.snapshots,
        workspace,
        name,
        { ...body, spec: { ...body.spec, compute: computeName } },
        this.trackingUri(workspace),
        this.assets,
      );
      // Bookkeeping the loops act on, written on the status side: the provisioning loop may be writing it too.
      await this.ctx.store.computes.updateStatus(record.id, () => ({ runFor: submitted.job.name }));
      this.ctx.wake();
      return submitted;
    } catch (err) {
      await this.computes.delete(workspace, computeName, 'Delete');
      throw err;
    }
  }

  async get(workspace: string, name: string): Promise<JobRecord> {
    const job = await this.ctx.store.jobs.get(workspace, name);
    if (!job)
      throw new HangarError('NotFound', `Job '${name}' does not exist in workspace '${workspace}'.`, 'name');
    return job;
  }

  async list(workspace: string, filter: JobListFilter, page: PageRequest): Promise<Page<JobRecord>> {
    if (!(await this.ctx.store.workspaces.get(workspace)))
      throw new HangarError('NotFound', `Workspace '${workspace}' does not exist.`, 'workspace');
    const { view = 'ActiveOnly', ...storeFilter } = filter;
    // Top-level jobs only, as Azure's: trials, steps and ranks are listed under their parent (children()).
    const found = await this.ctx.store.jobs.list({ workspace, ...storeFilter }, page);
    if (view === 'All') return found;
    // Filtered per page: the continuation token still walks every job, so no job is skipped.
    const archived = view === 'ArchivedOnly';
    return { ...found, items: found.items.filter((j) => (j.archived === true) === archived) };
  }

  /** az ml job update / archive / restore: display name, description, tags, properties, archived. */
  async update(workspace: string, name: string, update: JobUpdate): Promise<JobRecord> {
    const job = await this.get(workspace, name);
    return updateJob(this.ctx, job, (j) => applyJobUpdate(j, update, this.ctx.clock.now()));
  }

  /**
   * The jobs under a parent (az ml job list --parent-job-name): the ranks of a multi-node job, the
   * trials of a sweep, the steps of a pipeline. Oldest first; none when the parent has no children.
   */
  async children(workspace: string, parent: string): Promise<JobRecord[]> {
    // A Kubernetes deployment's replica jobs are listed under it (see replicaParent).
    const deployments =
      deploymentOfReplicaParent(parent) !== undefined
        ? await this.ctx.store.onlineDeployments.list({ workspace })
        : [];
    if (!deployments.some((d) => replicaParent(d) === parent)) await this.get(workspace, parent);
    const all = await this.ctx.store.jobs.all({ workspace });
    return all.filter((j) => j.gang?.parent === parent || j.parentJobName === parent);
  }

  /** What happened to a job beside its states: substitutions, policy decisions, registrations. Oldest first. */
  async events(workspace: string, name: string, page: PageRequest): Promise<Page<EventRecord>> {
    await this.get(workspace, name);
    return this.ctx.store.events.list({ workspace, resource: `job/${name}` }, page);
  }

  /** Queued jobs end at once; running ones are stopped by their node (SIGTERM, grace, SIGKILL). */
  async cancel(workspace: string, name: string): Promise<JobRecord> {
    const job = await this.get(workspace, name);
    // A pipeline is CancelRequested until its loop has stopped its steps, then Canceled.
    if (job.controller === 'pipeline') {
      const asked = await updateJob(this.ctx, job, (j) => requestPipelineCancel(j, this.ctx.clock.now()));
      this.ctx.wake();
      return asked;
    }
    const written = await updateJob(this.ctx, job, (j) => requestCancel(j, this.ctx.clock.now()));
    if (written.nodeId) this.ctx.signals.nodeWork(written.nodeId);
    return written;
  }

  /** A log file of an attempt (default: the current one), from a byte offset. */
  async readLog(
    workspace: string,
    name: string,
    file: string,
    attempt?: number,
    offset = 0,
  ): Promise<{ attempt: number; data: Buffer }> {
    const job = await this.get(workspace, name);
    if (!isLogFile(file))
      throw new HangarError('ValidationFailed', `file must be ${logFileRule}; got '${file}'.`, 'file');
    const logName = logSourceJob(job, file);
    const logJob = logName === name ? job : await this.get(workspace, logName);
    const n = attempt ?? currentAttempt(logJob)?.attempt ?? 1;
    return { attempt: n, data: this.ctx.logs.read(jobKey(workspace, logName), n, file, offset) };
  }

  /** Latest value of every metric, params and tags. */
  async runData(
    workspace: string,
    name: string,
  ): Promise<{ metrics: MetricPoint[]; params: Record<string, string>; tags: Record<string, string> }> {
    await this.get(workspace, name);
    const d = this.ctx.store.runData;
    const [metrics, params, tags] = await Promise.all([
      d.latestMetrics(workspace, name),
      d.params(workspace, name),
      d.tags(workspace, name),
    ]);
    return {
      metrics,
      params: Object.fromEntries(params.map((p) => [p.key, p.value])),
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
    };
  }

  async metricHistory(workspace: string, name: string, key: string): Promise<MetricPoint[]> {
    await this.get(workspace, name);
    return this.ctx.store.runData.metricHistory(workspace, name, key);
  }
}
