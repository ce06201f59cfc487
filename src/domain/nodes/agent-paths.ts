/**
 * The agent protocol's paths, apart from its schemas (agent-protocol.ts, whose `agentCalls` pairs
 * each with its method and schemas): the agent calls them and starts without loading zod.
 */
export const agentPaths = {
  register: '/api/agent/register',
  heartbeat: '/api/agent/heartbeat',
  preempted: '/api/agent/preempted',
  lease: '/api/agent/lease',
  status: '/api/agent/jobs/{jobId}/status',
  logChunk: '/api/agent/jobs/{jobId}/logs',
  logLength: '/api/agent/jobs/{jobId}/logs',
  outputs: '/api/agent/jobs/{jobId}/outputs',
} as const;

/** The path of a protocol call, with a job's wire id in place of `{jobId}`. */
export function agentPath(path: string, jobId?: string): string {
  return jobId === undefined ? path : path.replace('{jobId}', encodeURIComponent(jobId));
}
