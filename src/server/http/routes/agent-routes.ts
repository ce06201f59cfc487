import type { z } from 'zod';
import { route, type RouteDef, type RouteInput } from '../route-def.js';
import { agentCalls } from '../../../domain/nodes/agent-protocol.js';

const tag = 'Agents';
const act = (suffix: string): string => `Hangar/nodes/${suffix}`;
const node = (i: Pick<RouteInput, 'services' | 'header'>) =>
  i.services.nodes.authenticate(i.header('authorization'));
const jobId = (i: Pick<RouteInput, 'params'>): string => i.params.jobId ?? '';

/** Method, path, request schema and answer schema of a route, from the protocol's table of calls. */
function wire<C extends { method: 'get' | 'post'; path: string; response: z.ZodType }>(
  call: C,
  description: string,
): Omit<C, 'response'> & { response: { status: number; description: string; schema: C['response'] } } {
  const { response, ...rest } = call;
  return { ...rest, response: { status: 200, description, schema: response } };
}

/**
 * The agent protocol: nodes connect out to these routes. Every path, body, query and answer comes
 * from src/domain/nodes/agent-protocol.ts (agentCalls); mount() validates requests against them.
 */
export const agentRoutes: RouteDef[] = [
  route({
    ...wire(agentCalls.register, 'The node session'),
    action: act('register/action'),
    tag,
    summary: 'Register a node with its one-time token',
    handler: async (i) => ({ status: 200, body: await i.services.nodes.register(i.body) }),
  }),
  route({
    ...wire(agentCalls.heartbeat, 'What to stop, whether to shut down'),
    action: act('heartbeat/action'),
    tag,
    summary: 'Heartbeat: liveness, running attempts; answers what to stop',
    handler: async (i) => {
      const n = await node(i);
      const answer = await i.services.nodes.heartbeat(n, i.body);
      // Samples are kept after the heartbeat's own work and are best effort: a failed write of
      // metrics (disk full) must not fail the heartbeat, or the node would look lost.
      if (i.body.samples)
        await i.services.systemMetrics.record(n, i.body.samples, i.body.running).catch(() => undefined);
      return { status: 200, body: answer };
    },
  }),
  route({
    ...wire(agentCalls.preempted, 'The node as the server now holds it'),
    action: act('preempted/action'),
    tag,
    summary:
      'The backend is taking this node back (Slurm preemption): its jobs checkpoint and resume elsewhere',
    handler: async (i) => ({
      status: 200,
      body: await i.services.nodes.preempted(
        await node(i),
        i.body.reason ?? 'the backend took the node back',
      ),
    }),
  }),
  route({
    ...wire(agentCalls.lease, 'Assigned attempts (none after the wait)'),
    action: act('lease/action'),
    tag,
    summary: 'Long poll for job attempts assigned to the node',
    handler: async (i) => ({
      status: 200,
      body: await i.services.agentWork.lease(await node(i), i.body, i.signal),
    }),
  }),
  route({
    ...wire(agentCalls.status, "The job's status"),
    action: act('jobs/status/action'),
    tag,
    summary: 'Report a phase of a job attempt',
    handler: async (i) => ({
      status: 200,
      body: await i.services.agentWork.reportStatus(await node(i), jobId(i), i.body),
    }),
  }),
  route({
    ...wire(agentCalls.logChunk, 'Bytes the server holds'),
    action: act('jobs/logs/action'),
    tag,
    summary: 'Append a log chunk at a byte offset (idempotent)',
    handler: async (i) => ({
      status: 200,
      body: await i.services.agentWork.appendLog(await node(i), jobId(i), i.body),
    }),
  }),
  route({
    ...wire(agentCalls.logLength, 'Bytes the server holds'),
    action: act('jobs/logs/read'),
    tag,
    summary: 'Bytes the server holds of a log file (where to resume)',
    handler: async (i) => ({
      status: 200,
      body: await i.services.agentWork.logLength(await node(i), jobId(i), i.query.attempt, i.query.file),
    }),
  }),
  route({
    ...wire(agentCalls.outputs, 'The outputs snapshot'),
    action: act('jobs/outputs/action'),
    tag,
    summary: "Record the manifest of an attempt's outputs",
    handler: async (i) => ({
      status: 200,
      body: await i.services.agentWork.reportOutputs(await node(i), jobId(i), i.body),
    }),
  }),
];
