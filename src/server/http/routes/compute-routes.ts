import { z } from 'zod';
import { kindOf } from '../../../domain/compute/compute-kinds.js';
import { isInstance, isRecordOf, type ComputeRecord } from '../../../domain/compute/compute-record.js';
import { computeRequestSchema } from '../../../domain/compute/compute-schema.js';
import { toComputeResource } from '../../../domain/compute/compute-view.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import type { NodeRecord } from '../../../domain/nodes/node-record.js';
import { listText, renderedText, JsonText } from '../json-text.js';
import { listBody, nextLink, pageRequest } from '../paging.js';
import { action, type RouteDef, type RouteInput } from '../route-def.js';
import { computeResourceSchema } from '../../../domain/compute/compute-resource-schema.js';

const base = '/api/workspaces/{workspace}/computes';

/** Azure's `ssh -p port user@address` for a node whose SSH server (instance or cluster node) reported in. */
function sshConnection(n: NodeRecord, user: string): string | null {
  const ssh = n.instance?.ssh ?? n.ssh;
  return ssh && n.address ? `ssh -p ${ssh.port} ${user}@${n.address}` : null;
}
const tag = 'Computes';

/** Computes rendered as JSON text, per record as stored (frozen, shared) and workspace location. */
const renderedComputes = new WeakMap<ComputeRecord, { variant: string; text: string }>();
const computeText = (record: ComputeRecord, location: string): string =>
  renderedText(renderedComputes, record, location, (r) => toComputeResource(r, location));

const p = (input: RouteInput): { ws: string; name: string } => ({
  ws: input.params.workspace ?? '',
  name: input.params.name ?? '',
});

/** Compute routes: create/attach, read, list, update, delete/detach, power actions, nodes, keys, events. */
export const computeRoutes: RouteDef[] = [
  {
    method: 'get',
    path: base,
    action: action('workspaces/computes/read'),
    tag,
    summary: 'List computes',
    query: [
      { name: 'computeType', description: 'Only computes of this type' },
      { name: '$top', description: 'Page size' },
      { name: '$skipToken', description: 'Continuation token from nextLink' },
    ],
    response: {
      status: 200,
      description: 'A page of computes',
      schema: z.object({ value: z.array(computeResourceSchema), nextLink: z.string().optional() }),
    },
    handler: async (input) => {
      const { ws } = p(input);
      const workspace = await input.services.computes.workspace(ws);
      const filter = input.query.computeType ? { computeType: input.query.computeType } : {};
      const page = await input.services.computes.list(ws, filter, pageRequest(input.query));
      return {
        status: 200,
        body: listText(
          page.items.map((r) => computeText(r, workspace.location)),
          nextLink(page, input.baseUrl, `/api/workspaces/${ws}/computes`, input.query),
        ),
      };
    },
  },
  {
    method: 'get',
    path: `${base}/{name}`,
    action: action('workspaces/computes/read'),
    tag,
    summary: 'Get a compute',
    response: { status: 200, description: 'The compute', schema: computeResourceSchema },
    handler: async (input) => {
      const { ws, name } = p(input);
      const workspace = await input.services.computes.workspace(ws);
      const record = await input.services.computes.get(ws, name);
      return { status: 200, body: new JsonText(computeText(record, workspace.location)) };
    },
  },
  {
    method: 'put',
    path: `${base}/{name}`,
    action: action('workspaces/computes/write'),
    tag,
    summary: 'Create, attach or update a compute',
    // Documented by the schema, checked by the service (validateComputeRequest: every problem, in Azure's words).
    body: computeRequestSchema,
    bodyCheck: 'handler',
    response: {
      status: 201,
      description: 'Created (200 when updated); provisioningState tells progress',
      schema: computeResourceSchema,
    },
    handler: async (input) => {
      const { ws, name } = p(input);
      const result = await input.services.computes.createOrUpdate(ws, name, input.body, input.caller);
      const workspace = await input.services.computes.workspace(ws);
      const body = toComputeResource(result.record, workspace.location);
      if (result.warnings.length > 0) body.warnings = result.warnings;
      return { status: result.created ? 201 : 200, body };
    },
  },
  {
    method: 'patch',
    path: `${base}/{name}`,
    action: action('workspaces/computes/write'),
    tag,
    summary: 'Update a compute (JSON merge patch of the create body)',
    body: z.object({}).passthrough(),
    bodyCheck: 'handler',
    response: { status: 200, description: 'The updated compute', schema: computeResourceSchema },
    handler: async (input) => {
      const { ws, name } = p(input);
      const result = await input.services.computes.patch(ws, name, input.body, input.caller);
      const workspace = await input.services.computes.workspace(ws);
      return { status: 200, body: toComputeResource(result.record, workspace.location) };
    },
  },
  {
    method: 'delete',
    path: `${base}/{name}`,
    action: action('workspaces/computes/delete'),
    tag,
    summary: 'Delete or detach a compute',
    query: [{ name: 'underlyingResourceAction', description: 'Delete (default) or Detach' }],
    response: { status: 202, description: 'Deletion recorded; the compute shows Deleting until it is gone' },
    handler: async (input) => {
      const { ws, name } = p(input);
      const raw = input.query.underlyingResourceAction ?? 'Delete';
      if (raw !== 'Delete' && raw !== 'Detach') {
        throw new HangarError(
          'ValidationFailed',
          `underlyingResourceAction must be Delete or Detach; got '${raw}'`,
          'underlyingResourceAction',
        );
      }
      const record = await input.services.computes.delete(ws, name, raw);
      const workspace = await input.services.computes.workspace(ws);
      return { status: 202, body: toComputeResource(record, workspace.location) };
    },
  },
  {
    method: 'get',
    path: `${base}/{name}/nodes`,
    action: action('workspaces/computes/listNodes/action'),
    tag,
    summary: 'List the nodes of a cluster',
    response: {
      status: 200,
      description: 'Nodes',
      schema: z.object({ value: z.array(z.record(z.string(), z.unknown())) }),
    },
    handler: async (input) => {
      const { ws, name } = p(input);
      const record = await input.services.computes.get(ws, name);
      if (!kindOf(record.spec).getsNodes) {
        throw new HangarError(
          'OperationNotSupported',
          `list-nodes applies to clusters and instances; '${name}' is a ${record.spec.computeType}.`,
          'name',
        );
      }
      const { nodes, jobs } = await input.services.computes.nodesWithJobs(record);
      const user =
        (isInstance(record)
          ? record.spec.properties.sshSettings.adminUserName
          : isRecordOf(record, 'AmlCompute')
            ? record.spec.properties.userAccountCredentials?.adminUserName
            : undefined) ?? 'azureuser';
      const value = nodes.map((n) => ({
        nodeId: n.id,
        nodeState: n.state,
        privateIpAddress: n.address ?? null,
        // Azure's `ssh -p port user@address`: instances, and clusters created with SSH on, run an SSH server on each node.
        port: (n.instance?.ssh ?? n.ssh)?.port ?? null,
        connectionString: sshConnection(n, user),
        runId:
          jobs
            .filter((j) => j.nodeId === n.id)
            .map((j) => j.name)
            .join(',') || null,
        slots: n.slots,
        // The GPUs the node holds (nvidia-smi indices on its host), as its agent found them.
        gpus: n.capacity?.gpus.map((g) => g.index) ?? [],
        provider: n.provider,
        // How the node isolates jobs (bubblewrap) or why it refuses them (what is missing and how to install it).
        sandbox: n.capacity?.sandbox ?? null,
        sandboxProblem: n.capacity?.sandboxProblem ?? null,
        lastHeartbeatAt: n.lastHeartbeatAt ?? null,
        reason: n.reason ?? null,
      }));
      return { status: 200, body: { value } };
    },
  },
  {
    method: 'post',
    path: `${base}/{name}/nodes/{nodeId}/preempt`,
    action: action('workspaces/computes/preemptNode/action'),
    tag,
    summary: 'Preempt a node of a low-priority cluster (admin; its jobs checkpoint and resume elsewhere)',
    response: {
      status: 202,
      description: 'Preemption recorded',
      schema: z.object({ nodeId: z.string(), nodeState: z.string(), reason: z.string().nullable() }),
    },
    handler: async (input) => {
      const { ws, name } = p(input);
      const node = await input.services.computes.preemptNode(ws, name, input.params.nodeId ?? '');
      return { status: 202, body: { nodeId: node.id, nodeState: node.state, reason: node.reason ?? null } };
    },
  },
  {
    method: 'post',
    path: `${base}/{name}/listKeys`,
    action: action('workspaces/computes/listKeys/action'),
    tag,
    summary: 'Read the secrets of a compute',
    response: { status: 200, description: 'Secret values by field path' },
    handler: async (input) => {
      const { ws, name } = p(input);
      return {
        status: 200,
        body: { computeName: name, secrets: await input.services.computes.listKeys(ws, name) },
      };
    },
  },
  {
    method: 'get',
    path: `${base}/{name}/events`,
    action: action('workspaces/computes/read'),
    tag,
    summary: 'Events of a compute (scaling, state changes, denials)',
    query: [
      { name: '$top', description: 'Page size' },
      { name: '$skipToken', description: 'Continuation token' },
    ],
    handler: async (input) => {
      const { ws, name } = p(input);
      const page = await input.services.computes.events(ws, name, pageRequest(input.query));
      return {
        status: 200,
        body: listBody(
          page,
          (e) => e,
          input.baseUrl,
          `/api/workspaces/${ws}/computes/${name}/events`,
          input.query,
        ),
      };
    },
  },
];
