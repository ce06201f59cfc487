import { z } from 'zod';
import {
  environmentVersionRequestSchema,
  environmentVersionResourceSchema,
  toEnvironmentResource,
} from '../../environments/environment-service.js';
import { listBody, pageRequest } from '../paging.js';
import { action, route, type RouteDef, type RouteInput } from '../route-def.js';

const base = '/api/workspaces/{workspace}/environments';
const tag = 'Environments';
const p = (i: Pick<RouteInput, 'params'>) => ({
  ws: i.params.workspace ?? '',
  name: i.params.name ?? '',
  version: i.params.version ?? '',
});

/** Environment versions: create (immutable), get (a version or `latest`), list. */
export const environmentRoutes: RouteDef[] = [
  {
    method: 'get',
    path: base,
    action: action('workspaces/environments/read'),
    tag,
    summary: 'List environment versions (newest first)',
    query: [
      { name: 'name', description: 'Only versions of this environment' },
      { name: '$top', description: 'Page size' },
      { name: '$skipToken', description: 'Continuation token' },
    ],
    response: {
      status: 200,
      description: 'A page of environment versions',
      schema: z.object({ value: z.array(environmentVersionResourceSchema), nextLink: z.string().optional() }),
    },
    handler: async (i) => {
      const page = await i.services.environments.list(p(i).ws, i.query.name, pageRequest(i.query));
      return {
        status: 200,
        body: listBody(
          page,
          toEnvironmentResource,
          i.baseUrl,
          `/api/workspaces/${p(i).ws}/environments`,
          i.query,
        ),
      };
    },
  },
  {
    method: 'get',
    path: `${base}/{name}/versions/{version}`,
    action: action('workspaces/environments/versions/read'),
    tag,
    summary: 'Get an environment version (`latest` for the newest)',
    response: { status: 200, description: 'The version', schema: environmentVersionResourceSchema },
    handler: async (i) => ({
      status: 200,
      body: toEnvironmentResource(await i.services.environments.get(p(i).ws, p(i).name, p(i).version)),
    }),
  },
  route({
    method: 'put',
    path: `${base}/{name}/versions/{version}`,
    action: action('workspaces/environments/versions/write'),
    tag,
    summary: 'Create an environment version (versions are immutable)',
    body: environmentVersionRequestSchema,
    response: { status: 201, description: 'Created', schema: environmentVersionResourceSchema },
    handler: async (i) => {
      const record = await i.services.environments.create(p(i).ws, p(i).name, p(i).version, i.body);
      return { status: 201, body: toEnvironmentResource(record) };
    },
  }),
];
