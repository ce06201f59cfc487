import { scheduleSchema } from '../../../domain/compute/compute-schema.js';
import { scheduleProblems } from '../../../domain/compute/compute-rules.js';
import type { Problem } from '../../../domain/errors/hangar-error.js';
import { z } from 'zod';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { throwIfProblems } from '../../../domain/errors/hangar-error.js';
import type { WorkspaceRecord } from '../../../domain/workspace/workspace.js';
import { listBody, pageRequest } from '../paging.js';
import { action, route, type RouteDef, type RouteInput } from '../route-def.js';

const tag = 'Workspaces';

export const workspaceRequestSchema = z.strictObject({
  location: z.string().optional(),
  description: z.string().max(2048).optional(),
  tags: z.record(z.string(), z.string()).optional(),
});

export const lockRequestSchema = z.strictObject({
  level: z.enum(['CanNotDelete', 'ReadOnly']),
  notes: z.string().max(512).optional(),
});

const workspaceResourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  location: z.string(),
  properties: z.object({
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()),
    locks: z.array(lockRequestSchema.extend({ name: z.string() })),
  }),
  systemData: z.object({ createdAt: z.string(), lastModifiedAt: z.string() }),
});

const instancePolicySchema = z.strictObject({ defaultStopSchedule: scheduleSchema.optional() });

/** Renders a workspace as the API returns it. */
export function toWorkspaceResource(ws: WorkspaceRecord): z.infer<typeof workspaceResourceSchema> {
  const properties: z.infer<typeof workspaceResourceSchema>['properties'] = {
    tags: ws.tags,
    locks: ws.locks,
  };
  if (ws.description !== undefined) properties.description = ws.description;
  return {
    id: `/workspaces/${ws.name}`,
    name: ws.name,
    location: ws.location,
    properties,
    systemData: { createdAt: ws.createdAt, lastModifiedAt: ws.modifiedAt },
  };
}

const ws = (i: Pick<RouteInput, 'params'>): string => i.params.workspace ?? '';

/** Workspace and lock routes. */
export const workspaceRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/api/workspaces',
    action: action('workspaces/read'),
    tag,
    summary: 'List the workspaces the caller may read (a role on the workspace or at /)',
    query: [
      { name: '$top', description: 'Page size' },
      { name: '$skipToken', description: 'Continuation token' },
    ],
    response: {
      status: 200,
      description: 'A page of workspaces',
      schema: z.object({ value: z.array(workspaceResourceSchema), nextLink: z.string().optional() }),
    },
    handler: async (i) => {
      const only = await i.services.access.listableWorkspaces(i.caller, action('workspaces/read'));
      return {
        status: 200,
        body: listBody(
          await i.services.workspaces.list(pageRequest(i.query), only),
          toWorkspaceResource,
          i.baseUrl,
          '/api/workspaces',
          i.query,
        ),
      };
    },
  },
  {
    method: 'get',
    path: '/api/workspaces/{workspace}',
    action: action('workspaces/read'),
    tag,
    summary: 'Get a workspace',
    response: { status: 200, description: 'The workspace', schema: workspaceResourceSchema },
    handler: async (i) => ({
      status: 200,
      body: toWorkspaceResource(await i.services.workspaces.get(ws(i))),
    }),
  },
  route({
    method: 'put',
    path: '/api/workspaces/{workspace}',
    action: action('workspaces/write'),
    tag,
    summary: 'Create or update a workspace',
    body: workspaceRequestSchema,
    response: { status: 201, description: 'Created (200 when updated)', schema: workspaceResourceSchema },
    handler: async (i) => {
      const r = await i.services.workspaces.createOrUpdate(ws(i), i.body);
      return { status: r.created ? 201 : 200, body: toWorkspaceResource(r.record) };
    },
  }),
  {
    method: 'delete',
    path: '/api/workspaces/{workspace}',
    action: action('workspaces/delete'),
    tag,
    summary: 'Delete an empty workspace',
    response: { status: 204, description: 'Deleted' },
    handler: async (i) => {
      await i.services.workspaces.delete(ws(i));
      return { status: 204 };
    },
  },
  {
    method: 'get',
    path: '/api/workspaces/{workspace}/locks',
    action: 'Microsoft.Authorization/locks/read',
    tag,
    summary: 'List the locks of a workspace',
    handler: async (i) => ({ status: 200, body: { value: (await i.services.workspaces.get(ws(i))).locks } }),
  },
  route({
    method: 'put',
    path: '/api/workspaces/{workspace}/locks/{lock}',
    action: 'Microsoft.Authorization/locks/write',
    tag,
    summary: 'Add or replace a lock (CanNotDelete or ReadOnly)',
    body: lockRequestSchema,
    handler: async (i) => {
      const lockName = i.params.lock ?? '';
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,89}$/.test(lockName)) {
        throw new HangarError(
          'InvalidName',
          `lock name must be 1–90 letters, digits, '_', '.', '-'; got '${lockName}'`,
          'lock',
        );
      }
      const body = i.body;
      const lock =
        body.notes === undefined
          ? { name: lockName, level: body.level }
          : { name: lockName, level: body.level, notes: body.notes };
      await i.services.workspaces.putLock(ws(i), lock);
      return { status: 200, body: lock };
    },
  }),
  {
    method: 'get',
    path: '/api/workspaces/{workspace}/policies/computeInstance',
    action: 'Microsoft.Authorization/policyAssignments/read',
    tag,
    summary: 'The compute-instance policy of a workspace',
    handler: async (i) => ({
      status: 200,
      body: (await i.services.workspaces.get(ws(i))).computeInstancePolicy ?? {},
    }),
  },
  route({
    method: 'put',
    path: '/api/workspaces/{workspace}/policies/computeInstance',
    action: 'Microsoft.Authorization/policyAssignments/write',
    tag,
    summary: 'Set the compute-instance policy (a default stop schedule for instances created without one)',
    body: instancePolicySchema,
    handler: async (i) => {
      const body = i.body;
      const problems: Problem[] = [];
      if (body.defaultStopSchedule) {
        scheduleProblems(body.defaultStopSchedule, 'defaultStopSchedule', problems);
        if (body.defaultStopSchedule.action !== 'Stop')
          problems.push({
            code: 'ValidationFailed',
            target: 'defaultStopSchedule.action',
            message: `defaultStopSchedule.action must be Stop; got '${body.defaultStopSchedule.action}'`,
          });
      }
      throwIfProblems(problems);
      await i.services.workspaces.putInstancePolicy(ws(i), body);
      return { status: 200, body };
    },
  }),
  {
    method: 'delete',
    path: '/api/workspaces/{workspace}/locks/{lock}',
    action: 'Microsoft.Authorization/locks/delete',
    tag,
    summary: 'Remove a lock',
    response: { status: 204, description: 'Removed' },
    handler: async (i) => {
      await i.services.workspaces.deleteLock(ws(i), i.params.lock ?? '');
      return { status: 204 };
    },
  },
];
