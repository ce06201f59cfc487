import { z } from 'zod';

/** Request schemas of the agent protocol (src/domain/nodes/agent-protocol.ts), for validation and OpenAPI. */
export const capacitySchema = z.object({
  cores: z.number().int().min(1),
  memoryMB: z.number().min(0),
  gpus: z.array(z.object({ index: z.number().int(), name: z.string(), memoryMB: z.number() })),
  containerRuntime: z.enum(['podman', 'docker']).nullable(),
  defaultPython: z.string(),
  sandbox: z.enum(['bubblewrap', 'none']).optional(),
  sandboxProblem: z.string().max(4000).optional(),
});

export const registerSchema = z.object({
  nodeToken: z.string().min(1),
  hostname: z.string(),
  pid: z.number().int(),
  agentVersion: z.string(),
  capacity: capacitySchema,
  address: z.string(),
});

const appReportSchema = z.object({
  name: z.string(),
  kind: z.enum(['jupyter', 'terminal', 'custom']),
  port: z.number().int().optional(),
  running: z.boolean(),
  publishedPort: z.number().int().optional(),
  error: z.string().optional(),
});

/** What an instance's node reports (see InstanceReport). */
const instanceReportSchema = z.object({
  setup: z.object({ phase: z.enum(['running', 'succeeded', 'failed']), log: z.string(), failedScript: z.enum(['creationScript', 'startupScript']).optional() }),
  ssh: z.object({ port: z.number().int(), sessions: z.array(z.object({ from: z.string(), user: z.string(), since: z.string() })) }).optional(),
  apps: z.array(appReportSchema),
  jupyterKernels: z.number().int().min(0),
  terminals: z.number().int().min(0),
  appToken: z.string().min(16),
  gatewayPort: z.number().int().optional(),
});

export const heartbeatSchema = z.object({
  running: z.array(z.object({ jobId: z.string(), attempt: z.number().int().min(1), state: z.enum(['preparing', 'running', 'finalizing', 'exited']), exitCode: z.number().int().optional() })),
  instance: instanceReportSchema.optional(),
});

export const leaseSchema = z.object({ freeSlots: z.number().int().min(0) });

export const statusSchema = z.object({
  attempt: z.number().int().min(1),
  phase: z.enum(['Preparing', 'Running', 'Finalizing', 'Completed', 'Failed', 'Canceled', 'Preempted']),
  exitCode: z.number().int().optional(),
  message: z.string().optional(),
  checkpointSnapshotId: z.string().min(1).optional(),
  at: z.string(),
});

export const logChunkSchema = z.object({
  attempt: z.number().int().min(1),
  file: z.enum(['user_logs/std_log.txt', 'system_logs/agent.txt']),
  offset: z.number().int().min(0),
  data: z.string(),
});

export const outputsSchema = z.object({ attempt: z.number().int().min(1), manifest: z.unknown() });
