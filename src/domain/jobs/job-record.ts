import type { EnvironmentDefinition, JobInputDelivery } from '../nodes/agent-protocol.js';
import type { SweepState } from '../sweeps/sweep-decision.js';
import type { PipelineState, PipelineStepState } from '../pipelines/pipeline-record.js';

/**
 * Status of a job (Azure ML's JobStatus values that Hangar uses).
 */
export type JobState =
  /** Recorded; checks not finished. */
  | 'NotStarted'
  /** Waiting for a node (the reason says for what). */
  | 'Queued'
  /** Handed to a node: fetching code, building the environment. */
  | 'Preparing'
  /** The command runs. */
  | 'Running'
  /** The command ended; outputs are being uploaded. */
  | 'Finalizing'
  /** Ended with exit code 0. */
  | 'Completed'
  /** Ended otherwise (exit code, timeout, lost node, environment build); error says why. */
  | 'Failed'
  /** Cancel asked; the node is stopping it. */
  | 'CancelRequested'
  /** Stopped by a cancel. */
  | 'Canceled'
  /** Its node stopped heartbeating; the job may still run and is re-attached when the node returns. */
  | 'NotResponding';

/** az ml's `distribution` of a multi-node job. */
export type Distribution =
  | { type: 'pytorch'; processCountPerInstance: number }
  | { type: 'mpi'; processCountPerInstance: number }
  | { type: 'tensorflow'; workerCount: number }
  | { type: 'none'; processCountPerInstance: number };

/** Name of rank `i` of a multi-node job. */
export function rankJobName(parent: string, rank: number): string {
  return `${parent}_rank${rank}`;
}

/** Whose logs a job shows: a multi-node job shows its rank 0's (as Azure shows the first node's). */
export function logJobName(job: Pick<JobRecord, 'name' | 'gang'>): string {
  return job.gang && job.gang.parent === undefined ? rankJobName(job.name, 0) : job.name;
}

/** Queue priority of az ml's `queue_settings.priority` (higher runs first). */
export const queuePriority = { low: 1, medium: 2, high: 3 } as const;

/** Terminal states never change again. */
export const terminalStates: ReadonlySet<JobState> = new Set(['Completed', 'Failed', 'Canceled']);

/** Every state but the terminal ones, as a record so that a new state cannot be left out. */
const unfinished: Record<Exclude<JobState, 'Completed' | 'Failed' | 'Canceled'>, true> = {
  NotStarted: true,
  Queued: true,
  Preparing: true,
  Running: true,
  Finalizing: true,
  CancelRequested: true,
  NotResponding: true,
};

/** Every state a job can still leave (all but the terminal ones), for store queries. */
export const unfinishedStates: readonly JobState[] = Object.keys(unfinished) as JobState[];

/** One attempt of a job on one node. */
export interface AttemptRecord {
  attempt: number;
  nodeId?: string;
  nodeName?: string;
  status: JobState;
  startTime?: string;
  endTime?: string;
  exitCode?: number;
  reason?: string;
  /** Ended because its node was preempted: it does not count against retry_settings. */
  preempted?: boolean;
}

/** Attempts that count against `retry_settings` (preempted ones do not). */
export function countedAttempts(job: Pick<JobRecord, 'attempts'>): number {
  return job.attempts.filter((a) => !a.preempted).length;
}

/** Everything needed to run the job, resolved at submit time. */
export interface JobRunSpec {
  command: string;
  environment: EnvironmentDefinition;
  /** How the environment was named by the user (for display). */
  environmentName?: string;
  env: Record<string, string>;
  snapshotId?: string;
  inputs: JobInputDelivery[];
  /** Output folders (relative to the code folder) created before the command runs. */
  outputDirs?: string[];
  /** Outputs with a `name`: registered as a data or model version when the job completes. */
  registerOutputs?: OutputToRegister[];
  timeoutSeconds?: number;
  instanceCount: number;
  maxAttempts: number;
  /** A deployment replica: where its scoring host writes its port (see JobAssignment.servingPortFile). */
  servingPortFile?: string;
}

/** A job output registered as a data or model version at the end of a successful job. */
export interface OutputToRegister {
  output: string;
  assetKind: 'data' | 'model';
  name: string;
  version?: string;
  type: 'uri_file' | 'uri_folder' | 'mltable' | 'custom_model' | 'mlflow_model' | 'triton_model';
  description?: string;
}

/** What the store keeps for one job. */
export interface JobRecord {
  /** The job's name (unique in its workspace); also its MLflow run id. */
  name: string;
  workspace: string;
  /** The spec as submitted (API form), kept for show. */
  spec: Record<string, unknown>;
  run: JobRunSpec;
  computeName: string;
  experimentName: string;
  displayName?: string;
  status: JobState;
  /** Why it is in this state, in plain words ("waiting for a free slot on alice-dev (2/2 busy)"). */
  reason?: string;
  error?: { code: string; message: string };
  exitCode?: number;
  priority: number;
  /** FIFO order within a priority. */
  queueSeq: number;
  attempts: AttemptRecord[];
  /** Node holding the current attempt. */
  nodeId?: string;
  /** Only this node may take the job: the agent of the `hangar job create` that submitted it to `local`. */
  pinnedNodeId?: string;
  /**
   * Multi-node jobs: the job the user sees never runs itself ({ size }); its ranks are hidden jobs
   * `<name>_rank<i>` ({ size, rank, parent }) placed together as a gang, and it reflects them.
   */
  gang?: { size: number; rank?: number; parent?: string; distribution: Distribution };
  /**
   * A sweep or pipeline job runs no command itself: its controller loop creates child jobs (trials,
   * steps), watches them and writes its status from theirs. The scheduler never places it.
   */
  controller?: 'sweep' | 'pipeline';
  /** A trial of a sweep or a step of a pipeline: the job that created it (az ml's parent job). */
  parentJobName?: string;
  /** A sweep job's controller state: its config, sampled trials and their outcome (src/domain/sweeps). */
  sweep?: SweepState;
  /** A pipeline job: its plan and its steps' phases (see src/domain/pipelines). */
  pipeline?: PipelineState;
  /** A step of a pipeline: its step name, reuse key and whether it reused an earlier run. */
  pipelineStep?: PipelineStepState;
  /** The current attempt was handed to the node by a lease. */
  delivered: boolean;
  cancelRequested: boolean;
  /** Its node is being preempted: the node stops it (SIGTERM, grace) and it goes back to the queue. */
  preemptRequested?: { reason: string; deadline: string };
  /** The checkpoint folder as the last attempt left it; the next attempt starts from it. */
  checkpointSnapshotId?: string;
  outputsSnapshotId?: string;
  /** Archived (az ml job archive): left out of job lists unless they ask for archived jobs. */
  archived?: boolean;
  /** Lineage: the asset versions (`azureml:<name>:<version>`) its inputs read and its outputs became, by input/output name. */
  assets?: { inputs: Record<string, string>; outputs: Record<string, string> };
  createdAt: string;
  startTime?: string;
  endTime?: string;
  modifiedAt: string;
  version: number;
}

/** The attempt now in progress (the last one). */
export function currentAttempt(job: JobRecord): AttemptRecord | undefined {
  return job.attempts[job.attempts.length - 1];
}
