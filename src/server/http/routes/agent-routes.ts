import { parseBody } from '../parse-body.js';
import type { RouteDef, RouteInput } from '../route-def.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { preemptNode } from '../../nodes/preemption.js';
import { heartbeatSchema, leaseSchema, logChunkSchema, outputsSchema, registerSchema, statusSchema } from './agent-schemas.js';

const tag = 'Agents';
const act = (suffix: string): string => `Hangar/nodes/${suffix}`;
const node = (i: RouteInput) => i.services.nodes.authenticate(i.header('authorization'));
const jobId = (i: RouteInput): string => i.params.jobId ?? '';

/** The agent protocol: nodes connect out to these routes (see src/domain/nodes/agent-protocol.ts). */
export const agentRoutes: RouteDef[] = [
  {
    method: 'post', path: '/api/agent/register', action: act('register/action'), tag, summary: 'Register a node with its one-time token', body: registerSchema,
    handler: async (i) => ({ status: 200, body: await i.services.nodes.register(parseBody(registerSchema, i.body)) }),
  },
  {
    method: 'post', path: '/api/agent/heartbeat', action: act('heartbeat/action'), tag, summary: 'Heartbeat: liveness, running attempts; answers what to stop', body: heartbeatSchema,
    handler: async (i) => ({ status: 200, body: await i.services.nodes.heartbeat(await node(i), parseBody(heartbeatSchema, i.body)) }),
  },
  {
    method: 'post', path: '/api/agent/preempted', action: act('preempted/action'), tag, summary: 'The backend is taking this node back (Slurm preemption): its jobs checkpoint and resume elsewhere',
    handler: async (i) => {
      const n = await node(i);
      const reason = typeof (i.body as { reason?: unknown } | undefined)?.reason === 'string' ? String((i.body as { reason: string }).reason) : 'the backend took the node back';
      let written = n;
      try {
        written = await preemptNode(i.services.ctx, n, reason);
      } catch (err) {
        // Already leaving or preempted (Hangar released it itself): nothing more to do.
        if (!(err instanceof HangarError && err.code === 'Conflict')) throw err;
      }
      return { status: 200, body: { nodeId: written.id, nodeState: written.state } };
    },
  },
  {
    method: 'post', path: '/api/agent/lease', action: act('lease/action'), tag, summary: 'Long poll for job attempts assigned to the node', body: leaseSchema,
    handler: async (i) => ({ status: 200, body: await i.services.agentWork.lease(await node(i), parseBody(leaseSchema, i.body), i.signal) }),
  },
  {
    method: 'post', path: '/api/agent/jobs/{jobId}/status', action: act('jobs/status/action'), tag, summary: 'Report a phase of a job attempt', body: statusSchema,
    handler: async (i) => ({ status: 200, body: await i.services.agentWork.reportStatus(await node(i), jobId(i), parseBody(statusSchema, i.body)) }),
  },
  {
    method: 'post', path: '/api/agent/jobs/{jobId}/logs', action: act('jobs/logs/action'), tag, summary: 'Append a log chunk at a byte offset (idempotent)', body: logChunkSchema,
    handler: async (i) => ({ status: 200, body: await i.services.agentWork.appendLog(await node(i), jobId(i), parseBody(logChunkSchema, i.body)) }),
  },
  {
    method: 'get', path: '/api/agent/jobs/{jobId}/logs', action: act('jobs/logs/read'), tag, summary: 'Bytes the server holds of a log file (where to resume)',
    query: [{ name: 'attempt', description: 'Attempt number', required: true }, { name: 'file', description: 'Log file', required: true }],
    handler: async (i) => ({ status: 200, body: await i.services.agentWork.logLength(await node(i), jobId(i), Number(i.query.attempt), i.query.file ?? '') }),
  },
  {
    method: 'post', path: '/api/agent/jobs/{jobId}/outputs', action: act('jobs/outputs/action'), tag, summary: "Record the manifest of an attempt's outputs", body: outputsSchema,
    handler: async (i) => ({ status: 200, body: await i.services.agentWork.reportOutputs(await node(i), jobId(i), parseBody(outputsSchema, i.body)) }),
  },
];
