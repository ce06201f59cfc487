/**
 * The wire protocol between `hangar agent` (on a node) and the server. The agent always connects
 * out; every call is a small JSON POST with `Authorization: Bearer <node session token>` except
 * register, which presents the one-time node token. All paths are under /api/agent.
 */

import type { InstanceConfig, InstanceReport } from '../instances/instance.js';

/** What the agent finds on its machine. */
export interface NodeCapacity {
  cores: number;
  memoryMB: number;
  gpus: { index: number; name: string; memoryMB: number }[];
  /** Container runtime found on PATH, if any. */
  containerRuntime: 'podman' | 'docker' | null;
  /** Interpreter for user-managed environments. */
  defaultPython: string;
  /** How jobs are isolated: bubblewrap (own PID namespace, the agent's and server's folders hidden); none does not. */
  sandbox?: 'bubblewrap' | 'none';
  /** Why this node refuses jobs (no usable sandbox), with how to fix it; every job placed here fails with it. */
  sandboxProblem?: string;
}

/** A job attempt the agent is running (or has finished but not yet reported). */
export interface RunningAttempt {
  jobId: string;
  attempt: number;
  /** Agent-side view: running, or finished with an exit code not yet acknowledged. */
  state: 'preparing' | 'running' | 'finalizing' | 'exited';
  exitCode?: number;
}

/** POST /api/agent/register — body. */
export interface RegisterRequest {
  /** One-time token the provider handed to this node. */
  nodeToken: string;
  hostname: string;
  pid: number;
  agentVersion: string;
  capacity: NodeCapacity;
  /** Address other nodes can reach this one at (for multi-node jobs). */
  address: string;
}

/** POST /api/agent/register — answer. */
export interface RegisterResponse {
  nodeId: string;
  /** Long-lived credential for every later call (only its hash is stored). */
  sessionToken: string;
  heartbeatIntervalMs: number;
  /** Seconds a lease call may wait for work (long poll). */
  leaseWaitSeconds: number;
}

/** POST /api/agent/heartbeat — body. */
export interface HeartbeatRequest {
  running: RunningAttempt[];
  /** Compute-instance nodes: setup, SSH, apps and activity. */
  instance?: InstanceReport;
}

/** POST /api/agent/heartbeat — answer: what the server wants stopped. */
export interface HeartbeatResponse {
  /** Attempts to stop (cancel, timeout, lost lease): SIGTERM, grace, SIGKILL. */
  stop: { jobId: string; attempt: number; reason: string; graceSeconds: number; preempt?: { deadline: string } }[];
  /** The node should finish and exit (scale-down, delete). */
  shutdown: boolean;
  /** Compute-instance nodes: what the instance should run (SSH keys, setup scripts, custom apps). */
  instance?: InstanceConfig;
}

/** An environment the agent prepares before running (see src/agent/environments). */
export type EnvironmentDefinition =
  | { kind: 'user-managed'; python?: string }
  | { kind: 'pip'; requirements: string }
  | { kind: 'conda'; condaFile: string }
  | { kind: 'image'; image: string; condaFile?: string };

/** One job attempt handed to a node. */
export interface JobAssignment {
  jobId: string;
  attempt: number;
  /** The command after ${{inputs.x}} substitution, run with /bin/bash -c in the code folder. */
  command: string;
  /** Snapshot to materialize as the working directory (absent: an empty folder). */
  snapshotId?: string;
  /** Input files/folders to fetch: name → snapshot id holding them, and the relative path to place them at. */
  inputs: { name: string; snapshotId: string; path: string }[];
  environment: EnvironmentDefinition;
  /** Variables for the job process (MLFLOW_*, HANGAR_*, user environment_variables). */
  env: Record<string, string>;
  timeoutSeconds?: number;
  /** Seconds between SIGTERM and SIGKILL on cancel/timeout/preemption. */
  graceSeconds: number;
  /** The job's checkpoint folder as left by its last attempt (HANGAR_CHECKPOINT_DIR starts from it). */
  checkpointSnapshotId?: string;
}

/** POST /api/agent/lease — body: how many more attempts the node can take now. */
export interface LeaseRequest {
  freeSlots: number;
}

/** POST /api/agent/lease — answer (empty after the long-poll wait when nothing is assigned). */
export interface LeaseResponse {
  assignments: JobAssignment[];
}

/** POST /api/agent/jobs/{jobId}/status — a phase change of one attempt. */
export interface AttemptStatusReport {
  attempt: number;
  phase: 'Preparing' | 'Running' | 'Finalizing' | 'Completed' | 'Failed' | 'Canceled' | 'Preempted';
  exitCode?: number;
  /** HANGAR_CHECKPOINT_DIR uploaded when the attempt ended (absent when empty). */
  checkpointSnapshotId?: string;
  /** Why it failed or stopped, in plain words (e.g. the pip error, "killed after timeout"). */
  message?: string;
  /** When the phase began on the node (agent clock). */
  at: string;
}

/**
 * POST /api/agent/jobs/{jobId}/logs — a chunk of one log file. `offset` is the byte offset of
 * `data` in the file, so a retried upload is stored exactly once (overlaps are trimmed, gaps refused).
 */
export interface LogChunk {
  attempt: number;
  /** user_logs/std_log.txt (the job's stdout+stderr) or system_logs/agent.txt (setup, env build). */
  file: 'user_logs/std_log.txt' | 'system_logs/agent.txt';
  offset: number;
  /** The bytes, base64-encoded (so a chunk may end inside a UTF-8 character). */
  data: string;
}

/** POST /api/agent/jobs/{jobId}/logs — answer: the byte length the server now holds. */
export interface LogChunkAck {
  length: number;
}

/**
 * Files move through the content-addressed blob store (see src/server/snapshots):
 * - GET  /api/agent/snapshots/{id}            → the snapshot manifest (code or input)
 * - GET  /api/agent/blobs/{sha256}            → one file's bytes
 * - POST /api/agent/blobs/missing {hashes}    → {missing: string[]}
 * - PUT  /api/agent/blobs/{sha256}            ← raw bytes (verified against the hash)
 * - POST /api/agent/jobs/{jobId}/outputs      ← OutputsReport: the manifest of ./outputs after the run
 */
export interface OutputsReport {
  attempt: number;
  /** A snapshot manifest (same format as code snapshots) of the attempt's ./outputs folder. */
  manifest: unknown;
}
