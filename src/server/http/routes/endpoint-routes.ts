import { z } from 'zod';
import { toDeploymentResource, toEndpointResource } from '../../../domain/endpoints/endpoint-view.js';
import { action, route, type RouteDef, type RouteInput } from '../route-def.js';

const base = '/api/workspaces/{workspace}/onlineEndpoints';
const tag = 'Online endpoints';
const read = action('workspaces/onlineEndpoints/read');
const write = action('workspaces/onlineEndpoints/write');
const del = action('workspaces/onlineEndpoints/delete');
const dRead = action('workspaces/onlineEndpoints/deployments/read');
const dWrite = action('workspaces/onlineEndpoints/deployments/write');
const dDel = action('workspaces/onlineEndpoints/deployments/delete');

const segment = z.string().min(1).max(64);
const epParams = z.object({ workspace: segment, endpoint: segment });
const dParams = z.object({ workspace: segment, endpoint: segment, deployment: segment });
const mode = z.object({
  mode: z
    .enum(['create', 'update', 'upsert'])
    .optional()
    .describe('create: refuse an existing name; update: refuse a missing one; upsert (default)'),
});
const spec = z.record(z.string(), z.unknown()).describe('az ml YAML fields (snake_case)');
const resource = z.record(z.string(), z.unknown());
const weights = z.record(z.string(), z.number().int().min(0).max(100));

const ep = (i: RouteInput<unknown, unknown, z.output<typeof epParams>>) =>
  [i.params.workspace, i.params.endpoint] as const;

/** Online endpoints and deployments, under Azure's REST paths (bodies are az ml's YAML fields). */
export const endpointRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: base,
    action: read,
    tag,
    summary: 'List online endpoints',
    params: z.object({ workspace: segment }),
    response: { status: 200, description: 'Endpoints', schema: z.object({ value: z.array(resource) }) },
    handler: async (i) => ({
      status: 200,
      body: {
        value: (await i.services.endpoints.listEndpoints(i.params.workspace)).map((e) =>
          toEndpointResource(e, i.baseUrl),
        ),
      },
    }),
  }),
  route({
    method: 'get',
    path: `${base}/{endpoint}`,
    action: read,
    tag,
    summary: 'Show an online endpoint (never its keys)',
    params: epParams,
    response: { status: 200, description: 'The endpoint', schema: resource },
    handler: async (i) => ({
      status: 200,
      body: toEndpointResource(await i.services.endpoints.endpoint(...ep(i)), i.baseUrl),
    }),
  }),
  route({
    method: 'put',
    path: `${base}/{endpoint}`,
    action: write,
    tag,
    summary: 'Create or replace an online endpoint from its az ml YAML fields',
    params: epParams,
    query: mode,
    body: spec,
    response: { status: 200, description: 'The endpoint', schema: resource },
    handler: async (i) => ({
      status: 200,
      body: toEndpointResource(
        await i.services.endpoints.putEndpoint(...ep(i), i.body, i.caller, i.query.mode ?? 'upsert'),
        i.baseUrl,
      ),
    }),
  }),
  route({
    method: 'patch',
    path: `${base}/{endpoint}`,
    action: write,
    tag,
    summary: 'Change traffic and mirror weights (update --traffic, --mirror-traffic)',
    params: epParams,
    body: z.object({ traffic: weights.optional(), mirror_traffic: weights.optional() }).strict(),
    response: { status: 200, description: 'The endpoint', schema: resource },
    handler: async (i) => ({
      status: 200,
      body: toEndpointResource(
        await i.services.endpoints.setTraffic(...ep(i), {
          ...(i.body.traffic ? { traffic: i.body.traffic } : {}),
          ...(i.body.mirror_traffic ? { mirror_traffic: i.body.mirror_traffic } : {}),
        }),
        i.baseUrl,
      ),
    }),
  }),
  route({
    method: 'delete',
    path: `${base}/{endpoint}`,
    action: del,
    tag,
    summary: 'Delete an online endpoint and its deployments (their replicas stop)',
    params: epParams,
    response: { status: 204, description: 'Deleted' },
    handler: async (i) => {
      await i.services.endpoints.deleteEndpoint(...ep(i));
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: `${base}/{endpoint}/listKeys`,
    action: action('workspaces/onlineEndpoints/listKeys/action'),
    tag,
    summary: "An endpoint's primary and secondary keys (key auth)",
    params: epParams,
    response: {
      status: 200,
      description: 'The keys',
      schema: z.object({ primaryKey: z.string(), secondaryKey: z.string() }),
    },
    handler: async (i) => ({ status: 200, body: await i.services.endpoints.listKeys(...ep(i)) }),
  }),
  route({
    method: 'post',
    path: `${base}/{endpoint}/regenerateKeys`,
    action: action('workspaces/onlineEndpoints/regenerateKeys/action'),
    tag,
    summary: 'Regenerate the primary or secondary key',
    params: epParams,
    body: z.object({ keyType: z.enum(['Primary', 'Secondary']), keyValue: z.string().optional() }).strict(),
    response: { status: 202, description: 'Regenerated' },
    handler: async (i) => {
      await i.services.endpoints.regenerateKeys(...ep(i), i.body.keyType, i.body.keyValue);
      return { status: 202 };
    },
  }),
  route({
    method: 'post',
    path: `${base}/{endpoint}/token`,
    action: action('workspaces/onlineEndpoints/token/action'),
    tag,
    summary: 'A scoring token for an aml_token endpoint, with its expiry',
    params: epParams,
    response: { status: 200, description: 'The token', schema: resource },
    handler: async (i) => ({ status: 200, body: await i.services.endpoints.token(...ep(i)) }),
  }),
  route({
    method: 'get',
    path: `${base}/{endpoint}/deployments`,
    action: dRead,
    tag,
    summary: "List an endpoint's deployments",
    params: epParams,
    response: { status: 200, description: 'Deployments', schema: z.object({ value: z.array(resource) }) },
    handler: async (i) => ({
      status: 200,
      body: {
        value: (await i.services.endpoints.listDeployments(...ep(i))).map((d) =>
          toDeploymentResource(d, i.services.endpoints.metrics(d)),
        ),
      },
    }),
  }),
  route({
    method: 'get',
    path: `${base}/{endpoint}/deployments/{deployment}`,
    action: dRead,
    tag,
    summary: 'Show a deployment: state and why, replicas, requests and latency percentiles',
    params: dParams,
    response: { status: 200, description: 'The deployment', schema: resource },
    handler: async (i) => {
      const d = await i.services.endpoints.deployment(
        i.params.workspace,
        i.params.endpoint,
        i.params.deployment,
      );
      return { status: 200, body: toDeploymentResource(d, i.services.endpoints.metrics(d)) };
    },
  }),
  route({
    method: 'put',
    path: `${base}/{endpoint}/deployments/{deployment}`,
    action: dWrite,
    tag,
    summary:
      'Create or update a deployment from its az ml YAML fields (code and model as references the server holds); checked before anything starts',
    params: dParams,
    query: mode,
    body: spec,
    response: { status: 200, description: 'The deployment', schema: resource },
    handler: async (i) => ({
      status: 200,
      body: toDeploymentResource(
        await i.services.endpoints.putDeployment(
          i.params.workspace,
          i.params.endpoint,
          i.params.deployment,
          i.body,
          i.caller,
          i.query.mode ?? 'upsert',
        ),
      ),
    }),
  }),
  route({
    method: 'delete',
    path: `${base}/{endpoint}/deployments/{deployment}`,
    action: dDel,
    tag,
    summary: 'Delete a deployment that takes no traffic (its replicas stop)',
    params: dParams,
    response: { status: 204, description: 'Deleted' },
    handler: async (i) => {
      await i.services.endpoints.deleteDeployment(i.params.workspace, i.params.endpoint, i.params.deployment);
      return { status: 204 };
    },
  }),
  route({
    method: 'post',
    path: `${base}/{endpoint}/deployments/{deployment}/getLogs`,
    action: dRead,
    tag,
    summary: "A replica's log (InferenceServer) or what was fetched (StorageInitializer)",
    params: dParams,
    body: z
      .object({
        containerType: z.enum(['InferenceServer', 'StorageInitializer']).optional(),
        tail: z.number().int().min(1).max(10000).optional(),
      })
      .strict(),
    response: { status: 200, description: 'The log', schema: z.object({ content: z.string() }) },
    handler: async (i) => ({
      status: 200,
      body: {
        content: await i.services.endpoints.logs(
          i.params.workspace,
          i.params.endpoint,
          i.params.deployment,
          i.body.tail ?? 5000,
          i.body.containerType ?? 'InferenceServer',
        ),
      },
    }),
  }),
];
