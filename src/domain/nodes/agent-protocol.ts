/**
 * The wire protocol between `hangar agent` (on a node) and the server. The agent always connects
 * out; every call is a small JSON POST with `Authorization: Bearer <node session token>` except
 * register, which presents the one-time node token. All paths are under /api/agent.
 *
 * One zod schema per message: the TypeScript types are inferred from them, the server validates
 * request bodies against them (mount() in src/server/http/app.ts, through the routes' RouteDefs),
 * the OpenAPI document is built from them, and the agent's client (src/agent/agent-client.ts) is
 * typed by them. Nothing else declares the protocol.
 */

import { z } from 'zod';
import { instanceConfigSchema, instanceReportSchema, sshSessionSchema } from '../instances/instance.js';
import { systemSampleSchema } from './system-metrics.js';
import { agentPaths } from './agent-paths.js';

/** What the agent finds on its machine. */
export const nodeCapacitySchema = z.object({
  cores: z.number().int().min(1),
  memoryMB: z.number().min(0),
  gpus: z.array(z.object({ index: z.number().int(), name: z.string(), memoryMB: z.number() })),
  /** Container runtime found on PATH, if any. */
  containerRuntime: z.enum(['podman', 'docker']).nullable(),
  /** Interpreter for user-managed environments. */
  defaultPython: z.string(),
  /** How jobs are isolated: bubblewrap (own PID namespace, the agent's and server's folders hidden); none does not. */
  sandbox: z.enum(['bubblewrap', 'none']).optional(),
  /** Why this node refuses jobs (no usable sandbox), with how to fix it; every job placed here fails with it. */
  sandboxProblem: z.string().max(4000).optional(),
});
export type NodeCapacity = z.infer<typeof nodeCapacitySchema>;

/** A job attempt the agent is running (or has finished but not yet reported). */
export const runningAttemptSchema = z.object({
  jobId: z.string(),
  attempt: z.number().int().min(1),
  /** Agent-side view: running, or finished with an exit code not yet acknowledged. */
  state: z.enum(['preparing', 'running', 'finalizing', 'exited']),
  exitCode: z.number().int().optional(),
  /** A serving replica's port, once its scoring host listens (the assignment's `servingPortFile`). */
  port: z.number().int().min(1).max(65535).optional(),
});
export type RunningAttempt = z.infer<typeof runningAttemptSchema>;

/** POST /api/agent/register — body. */
export const registerRequestSchema = z.object({
  /** One-time token the provider handed to this node. */
  nodeToken: z.string().min(1),
  hostname: z.string(),
  pid: z.number().int(),
  agentVersion: z.string(),
  capacity: nodeCapacitySchema,
  /** Address other nodes can reach this one at (for multi-node jobs). */
  address: z.string(),
});
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

/** POST /api/agent/register — answer. */
export const registerResponseSchema = z.object({
  nodeId: z.string(),
  /** Long-lived credential for every later call (only its hash is stored). */
  sessionToken: z.string(),
  heartbeatIntervalMs: z.number(),
  /** Seconds a lease call may wait for work (long poll). */
  leaseWaitSeconds: z.number(),
  /** Seconds between utilisation samples (absent: the agent's default). */
  sampleIntervalSeconds: z.number().positive().optional(),
});
export type RegisterResponse = z.infer<typeof registerResponseSchema>;

/** POST /api/agent/heartbeat — body. */
export const heartbeatRequestSchema = z.object({
  running: z.array(runningAttemptSchema),
  /** Compute-instance nodes: setup, SSH, apps and activity. */
  instance: instanceReportSchema.optional(),
  /** Cluster nodes with SSH on: the node's SSH server port and its open connections. */
  ssh: z.object({ port: z.number().int(), sessions: z.array(sshSessionSchema) }).optional(),
  /** Utilisation samples of the node and its jobs taken since the last heartbeat (oldest first). */
  samples: z.array(systemSampleSchema).max(120).optional(),
});
export type HeartbeatRequest = z.infer<typeof heartbeatRequestSchema>;

/** POST /api/agent/heartbeat — answer: what the server wants stopped. */
export const heartbeatResponseSchema = z.object({
  /** Attempts to stop (cancel, timeout, lost lease): SIGTERM, grace, SIGKILL. */
  stop: z.array(
    z.object({
      jobId: z.string(),
      attempt: z.number().int(),
      reason: z.string(),
      graceSeconds: z.number(),
      preempt: z.object({ deadline: z.string() }).optional(),
    }),
  ),
  /** The node should finish and exit (scale-down, delete). */
  shutdown: z.boolean(),
  /** Compute-instance nodes: what the instance should run (SSH keys, setup scripts, custom apps). */
  instance: instanceConfigSchema.optional(),
  /** Cluster nodes created with SSH on: the admin user, keys and password (a salted scrypt, hex) its SSH server lets in. */
  ssh: z
    .object({
      user: z.string(),
      authorizedKeys: z.array(z.string()),
      password: z.object({ salt: z.string(), scrypt: z.string() }).optional(),
    })
    .optional(),
});
export type HeartbeatResponse = z.infer<typeof heartbeatResponseSchema>;

/** An environment the agent prepares before running (see src/agent/environments). */
export const environmentDefinitionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('user-managed'), python: z.string().optional() }),
  z.object({ kind: z.literal('pip'), requirements: z.string() }),
  z.object({ kind: z.literal('conda'), condaFile: z.string() }),
  z.object({ kind: z.literal('image'), image: z.string(), condaFile: z.string().optional() }),
]);
export type EnvironmentDefinition = z.infer<typeof environmentDefinitionSchema>;

/**
 * One file or folder input of an attempt. Its bytes are in exactly one place: a stored snapshot
 * (`snapshotId`), a datastore folder or file on the node itself (`hostPath`), or an http(s) file
 * (`url`, downloaded and cached on the node by URL and validator). `mode`: `download` copies
 * (the default), `ro_mount` binds it read-only into the job's sandbox (no copy; a snapshot is
 * materialized once per node), `rw_mount` binds a datastore folder writable.
 */
export const jobInputSchema = z.object({
  name: z.string(),
  path: z.string(),
  snapshotId: z.string().optional(),
  hostPath: z.string().optional(),
  url: z.string().optional(),
  mode: z.enum(['download', 'ro_mount', 'rw_mount']).optional(),
});
export type JobInputDelivery = z.infer<typeof jobInputSchema>;

/** One job attempt handed to a node. */
export const jobAssignmentSchema = z.object({
  jobId: z.string(),
  attempt: z.number().int(),
  /** The command after ${{inputs.x}} substitution, run with /bin/bash -c in the code folder. */
  command: z.string(),
  /** Snapshot to materialize as the working directory (absent: an empty folder). */
  snapshotId: z.string().optional(),
  /** Input files/folders: where each is placed (relative path), where its bytes are, and how it is delivered. */
  inputs: z.array(jobInputSchema),
  /** Output folders to create, relative to the code folder, before the command runs (`${{outputs.x}}`). */
  outputDirs: z.array(z.string()).optional(),
  environment: environmentDefinitionSchema,
  /** Variables for the job process (MLFLOW_*, HANGAR_*, user environment_variables). */
  env: z.record(z.string(), z.string()),
  timeoutSeconds: z.number().optional(),
  /** Seconds between SIGTERM and SIGKILL on cancel/timeout/preemption. */
  graceSeconds: z.number(),
  /** The job's checkpoint folder as left by its last attempt (HANGAR_CHECKPOINT_DIR starts from it). */
  checkpointSnapshotId: z.string().optional(),
  /**
   * A distributed job's ranked processes on this node (the command is then their launcher): each
   * one's global rank and the log the agent ships its output as (user_logs/std_log_process_<rank>.txt).
   */
  processes: z.array(z.object({ rank: z.number().int().min(0), log: z.string() })).optional(),
  /**
   * The CA that signed the server's HTTPS certificate (PEM; absent when TLS is off): the agent writes
   * it with the system's CAs into the attempt's folder as REQUESTS_CA_BUNDLE, since the job cannot
   * see the server's home, so the Azure ML SDK in the job trusts AZUREML_DEV_URL_MFE.
   */
  caPem: z.string().includes('BEGIN CERTIFICATE').optional(),
  /**
   * A deployment replica (its scoring host): the file, relative to the code folder, where it writes
   * the port it listens on; the agent reports the port in its heartbeats and the server routes to it.
   */
  servingPortFile: z.string().optional(),
});
export type JobAssignment = z.infer<typeof jobAssignmentSchema>;

/** POST /api/agent/lease — body: how many more attempts the node can take now. */
export const leaseRequestSchema = z.object({ freeSlots: z.number().int().min(0) });
export type LeaseRequest = z.infer<typeof leaseRequestSchema>;

/** POST /api/agent/lease — answer (empty after the long-poll wait when nothing is assigned). */
export const leaseResponseSchema = z.object({ assignments: z.array(jobAssignmentSchema) });
export type LeaseResponse = z.infer<typeof leaseResponseSchema>;

/** The phases an attempt reports. */
export const attemptPhases = [
  'Preparing',
  'Running',
  'Finalizing',
  'Completed',
  'Failed',
  'Canceled',
  'Preempted',
] as const;

/** The log files of an attempt: the job's stdout+stderr, and the agent's own (setup, env build). */
export const logFileNames = ['user_logs/std_log.txt', 'system_logs/agent.txt'] as const;

/** A log file name: one of logFileNames, or a distributed job's `user_logs/std_log_process_<rank>.txt`. */
export const logFileSchema = z
  .string()
  .refine(
    (f) =>
      (logFileNames as readonly string[]).includes(f) || /^user_logs\/std_log_process_\d{1,6}\.txt$/.test(f),
    'one of user_logs/std_log.txt, user_logs/std_log_process_<rank>.txt, system_logs/agent.txt',
  );

/** The most base64 text a final report carries in its logs (per file here; the agent keeps all of them within it): more goes as chunks first. */
export const carriedLogLimit = 64 * 1024;

/**
 * The unsent end of one log file, carried by an attempt's final report: stored before the report's
 * phase, so whoever follows the log sees every line before the job ends, and one round trip
 * instead of two ends a short job. `offset` as in a chunk (a resent report is stored once).
 */
export const carriedLogSchema = z.object({
  file: logFileSchema,
  offset: z.number().int().min(0),
  /** The bytes, base64-encoded. */
  data: z.string().max(carriedLogLimit),
});
export type CarriedLog = z.infer<typeof carriedLogSchema>;

/** POST /api/agent/jobs/{jobId}/status — a phase change of one attempt. */
export const attemptStatusReportSchema = z.object({
  attempt: z.number().int().min(1),
  phase: z.enum(attemptPhases),
  exitCode: z.number().int().optional(),
  /** HANGAR_CHECKPOINT_DIR uploaded when the attempt ended (absent when empty). */
  checkpointSnapshotId: z.string().min(1).optional(),
  /** Why it failed or stopped, in plain words (e.g. the pip error, "killed after timeout"). */
  message: z.string().optional(),
  /** When the phase began on the node (agent clock). */
  at: z.string(),
  /** The unsent end of the attempt's log files (the agent sends them with its final report), stored before the phase. */
  logs: z.array(carriedLogSchema).max(64).optional(),
});
export type AttemptStatusReport = z.infer<typeof attemptStatusReportSchema>;

/** POST /api/agent/jobs/{jobId}/status — answer: the job's status after the report. */
export const attemptStatusAckSchema = z.object({ status: z.string() });
export type AttemptStatusAck = z.infer<typeof attemptStatusAckSchema>;

/**
 * POST /api/agent/jobs/{jobId}/logs — a chunk of one log file. `offset` is the byte offset of
 * `data` in the file, so a retried upload is stored exactly once (overlaps are trimmed, gaps refused).
 */
export const logChunkSchema = z.object({
  attempt: z.number().int().min(1),
  /** user_logs/std_log.txt (the job's stdout+stderr), std_log_process_<rank>.txt (one process's) or system_logs/agent.txt (setup, env build). */
  file: logFileSchema,
  offset: z.number().int().min(0),
  /** The bytes, base64-encoded (so a chunk may end inside a UTF-8 character). */
  data: z.string(),
});
export type LogChunk = z.infer<typeof logChunkSchema>;

/** GET /api/agent/jobs/{jobId}/logs — query: which log file of which attempt. */
export const logLengthQuerySchema = z.object({
  attempt: z.coerce.number().int().min(1).describe('Attempt number'),
  file: logFileSchema.describe('Log file'),
});
export type LogLengthQuery = z.infer<typeof logLengthQuerySchema>;

/** POST /api/agent/jobs/{jobId}/logs and GET …/logs — answer: the byte length the server now holds. */
export const logChunkAckSchema = z.object({ length: z.number().int() });
export type LogChunkAck = z.infer<typeof logChunkAckSchema>;

/**
 * Files move through the content-addressed blob store (see src/server/snapshots):
 * - GET  /api/snapshots/{id}            → the snapshot manifest (code or input)
 * - GET  /api/blobs/{sha256}            → one file's bytes
 * - POST /api/blobs/missing {hashes}    → {missing: string[]}
 * - PUT  /api/blobs/{sha256}            ← raw bytes (verified against the hash)
 * - POST /api/agent/jobs/{jobId}/outputs      ← OutputsReport: the manifest of ./outputs after the run
 */
export const outputsReportSchema = z.object({
  attempt: z.number().int().min(1),
  /** A snapshot manifest (same format as code snapshots) of the attempt's ./outputs folder. */
  manifest: z.unknown(),
});
export type OutputsReport = z.infer<typeof outputsReportSchema>;

/** POST /api/agent/jobs/{jobId}/outputs — answer: the outputs snapshot. */
export const outputsAckSchema = z.object({ snapshotId: z.string() });
export type OutputsAck = z.infer<typeof outputsAckSchema>;

/** POST /api/agent/preempted — body: the backend is taking the node back (Slurm preemption). */
export const preemptedRequestSchema = z.object({ reason: z.string().optional() });
export type PreemptedRequest = z.infer<typeof preemptedRequestSchema>;

/** POST /api/agent/preempted — answer: the node as the server now holds it. */
export const preemptedResponseSchema = z.object({ nodeId: z.string(), nodeState: z.string() });
export type PreemptedResponse = z.infer<typeof preemptedResponseSchema>;

/**
 * Every call of the protocol: its method and path, and the schemas of its request and answer. The
 * server's routes (src/server/http/routes/agent-routes.ts) and the agent's client
 * (src/agent/agent-client.ts) are both built from this table; `{jobId}` is a job's wire id.
 */
export const agentCalls = {
  register: {
    method: 'post',
    path: agentPaths.register,
    body: registerRequestSchema,
    response: registerResponseSchema,
  },
  heartbeat: {
    method: 'post',
    path: agentPaths.heartbeat,
    body: heartbeatRequestSchema,
    response: heartbeatResponseSchema,
  },
  preempted: {
    method: 'post',
    path: agentPaths.preempted,
    body: preemptedRequestSchema,
    response: preemptedResponseSchema,
  },
  lease: {
    method: 'post',
    path: agentPaths.lease,
    body: leaseRequestSchema,
    response: leaseResponseSchema,
  },
  status: {
    method: 'post',
    path: agentPaths.status,
    body: attemptStatusReportSchema,
    response: attemptStatusAckSchema,
  },
  logChunk: {
    method: 'post',
    path: agentPaths.logChunk,
    body: logChunkSchema,
    response: logChunkAckSchema,
  },
  logLength: {
    method: 'get',
    path: agentPaths.logLength,
    query: logLengthQuerySchema,
    response: logChunkAckSchema,
  },
  outputs: {
    method: 'post',
    path: agentPaths.outputs,
    body: outputsReportSchema,
    response: outputsAckSchema,
  },
} as const;

export { agentPath } from './agent-paths.js';
