import { z } from 'zod';
import type { JobState } from '../../../domain/jobs/job-record.js';
import { toJobResource } from '../../../domain/jobs/job-view.js';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { jobSubmissionSchema, type SubmittedJob } from '../../jobs/job-submission.js';
import { listBody, pageRequest } from '../paging.js';
import { action, route, type RouteDef, type RouteInput } from '../route-def.js';
import { streamJobLog } from './job-log-stream.js';

const base = '/api/workspaces/{workspace}/jobs';
const tag = 'Jobs';
const p = (i: Pick<RouteInput, 'params'>) => ({ ws: i.params.workspace ?? '', name: i.params.name ?? '' });
const render = (i: Pick<RouteInput, 'services'>, job: Parameters<typeof toJobResource>[0]) =>
  toJobResource(job, i.services.jobs.trackingUri(job.workspace));
const jobResource = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  properties: z.record(z.string(), z.unknown()),
  systemData: z.object({ createdAt: z.string(), lastModifiedAt: z.string() }),
});
/** The submit answer; a job sent to `local` also carries the one-time token of its submitter's agent (never shown again). */
const submittedResource = jobResource.extend({ localAgentToken: z.string().optional() });
const renderSubmitted = (i: Pick<RouteInput, 'services'>, s: SubmittedJob) => ({
  ...render(i, s.job),
  ...(s.localAgentToken ? { localAgentToken: s.localAgentToken } : {}),
});

function intQuery(i: Pick<RouteInput, 'query'>, name: string): number | undefined {
  const raw = i.query[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new HangarError('ValidationFailed', `${name} must be a non-negative integer; got '${raw}'.`, name);
  return n;
}

const listViewTypes = ['ActiveOnly', 'ArchivedOnly', 'All'] as const;

function listViewTypeOf(i: Pick<RouteInput, 'query'>): (typeof listViewTypes)[number] {
  const raw = i.query.listViewType ?? 'ActiveOnly';
  const found = listViewTypes.find((v) => v.toLowerCase() === raw.toLowerCase());
  if (!found)
    throw new HangarError(
      'ValidationFailed',
      `listViewType must be ActiveOnly, ArchivedOnly or All; got '${raw}'.`,
      'listViewType',
    );
  return found;
}

const tagMap = z.record(z.string().min(1).max(256), z.string().max(256).nullable());
/** az ml job update (and archive/restore): a JSON merge patch of the fields a submitted job may change. */
export const jobPatchSchema = z.strictObject({
  properties: z.strictObject({
    displayName: z.string().min(1).max(256).optional().describe('New display name'),
    description: z.string().max(2048).nullable().optional().describe('New description (null removes it)'),
    tags: tagMap.optional().describe('Tags to set (a null value removes the tag)'),
    properties: tagMap.optional().describe('Properties to set (a null value removes the property)'),
    isArchived: z.boolean().optional().describe('Archive (true) or restore (false) the job'),
  }),
});

/** Jobs: submit, list, show, cancel, logs (plain and streamed), metrics. */
export const jobRoutes: RouteDef[] = [
  {
    method: 'get',
    path: base,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'List jobs (newest first); each not running carries statusReason',
    query: [
      { name: 'compute', description: 'Only jobs on this compute' },
      { name: 'experimentName', description: 'Only this experiment' },
      { name: 'status', description: 'Comma-separated statuses' },
      { name: 'listViewType', description: 'ActiveOnly (default), ArchivedOnly or All' },
      { name: 'parentJobName', description: 'Only the child jobs of this job (a multi-node job: its ranks)' },
      { name: '$top', description: 'Page size' },
      { name: '$skipToken', description: 'Continuation token' },
    ],
    response: {
      status: 200,
      description: 'A page of jobs',
      schema: z.object({ value: z.array(jobResource), nextLink: z.string().optional() }),
    },
    handler: async (i) => {
      const filter = {
        ...(i.query.compute ? { computeName: i.query.compute } : {}),
        ...(i.query.experimentName ? { experimentName: i.query.experimentName } : {}),
        ...(i.query.status ? { statuses: i.query.status.split(',') as JobState[] } : {}),
      };
      const parent = i.query.parentJobName;
      if (parent !== undefined) {
        const children = await i.services.jobs.children(p(i).ws, parent);
        return { status: 200, body: { value: children.map((j) => render(i, j)) } };
      }
      const page = await i.services.jobs.list(
        p(i).ws,
        { ...filter, view: listViewTypeOf(i) },
        pageRequest(i.query),
      );
      return {
        status: 200,
        body: listBody(page, (j) => render(i, j), i.baseUrl, `/api/workspaces/${p(i).ws}/jobs`, i.query),
      };
    },
  },
  route({
    method: 'post',
    path: base,
    action: action('workspaces/jobs/write'),
    tag,
    summary: 'Submit a job with a generated name',
    body: jobSubmissionSchema,
    response: { status: 201, description: 'Queued', schema: submittedResource },
    handler: async (i) => ({
      status: 201,
      body: renderSubmitted(i, await i.services.jobs.submit(p(i).ws, undefined, i.body)),
    }),
  }),
  route({
    method: 'put',
    path: `${base}/{name}`,
    action: action('workspaces/jobs/write'),
    tag,
    summary: 'Submit a job under a name',
    body: jobSubmissionSchema,
    response: { status: 201, description: 'Queued', schema: submittedResource },
    handler: async (i) => ({
      status: 201,
      body: renderSubmitted(i, await i.services.jobs.submit(p(i).ws, p(i).name, i.body)),
    }),
  }),
  {
    method: 'get',
    path: `${base}/{name}`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'Get a job',
    response: { status: 200, description: 'The job', schema: jobResource },
    handler: async (i) => ({ status: 200, body: render(i, await i.services.jobs.get(p(i).ws, p(i).name)) }),
  },
  route({
    method: 'patch',
    path: `${base}/{name}`,
    action: action('workspaces/jobs/write'),
    tag,
    summary: 'Update a job: display name, description, tags, properties; archive or restore it',
    body: jobPatchSchema,
    response: { status: 200, description: 'The job as updated', schema: jobResource },
    handler: async (i) => {
      const { displayName, description, tags, properties, isArchived } = i.body.properties;
      const job = await i.services.jobs.update(p(i).ws, p(i).name, {
        ...(displayName !== undefined ? { displayName } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(tags !== undefined ? { tags } : {}),
        ...(properties !== undefined ? { properties } : {}),
        ...(isArchived !== undefined ? { isArchived } : {}),
      });
      return { status: 200, body: render(i, job) };
    },
  }),
  {
    method: 'post',
    path: `${base}/{name}/cancel`,
    action: action('workspaces/jobs/cancel/action'),
    tag,
    summary: 'Cancel a job (queued: at once; running: SIGTERM, grace, SIGKILL)',
    response: { status: 202, description: 'Cancel recorded', schema: jobResource },
    handler: async (i) => ({
      status: 202,
      body: render(i, await i.services.jobs.cancel(p(i).ws, p(i).name)),
    }),
  },
  {
    method: 'get',
    path: `${base}/{name}/events`,
    action: action('workspaces/jobs/read'),
    tag,
    summary:
      'Events of a job (environment substitutions, early termination by a sweep policy, registrations)',
    query: [
      { name: '$top', description: 'Page size' },
      { name: '$skipToken', description: 'Continuation token' },
    ],
    handler: async (i) => {
      const { ws, name } = p(i);
      const page = await i.services.jobs.events(ws, name, pageRequest(i.query));
      return {
        status: 200,
        body: listBody(page, (e) => e, i.baseUrl, `/api/workspaces/${ws}/jobs/${name}/events`, i.query),
      };
    },
  },
  {
    method: 'get',
    path: `${base}/{name}/logs`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'A log file of an attempt as text',
    query: [
      { name: 'file', description: 'user_logs/std_log.txt (default) or system_logs/agent.txt' },
      { name: 'attempt', description: 'Attempt (default: current)' },
      { name: 'offset', description: 'Byte offset' },
    ],
    raw: async (c, i) => {
      const log = await i.services.jobs.readLog(
        p(i).ws,
        p(i).name,
        i.query.file ?? 'user_logs/std_log.txt',
        intQuery(i, 'attempt'),
        intQuery(i, 'offset'),
      );
      return c.body(new Uint8Array(log.data), 200, {
        'content-type': 'text/plain; charset=utf-8',
        'x-hangar-attempt': String(log.attempt),
      });
    },
  },
  {
    method: 'get',
    path: `${base}/{name}/logs/stream`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'Live log as server-sent events (log, status, end)',
    query: [
      { name: 'file', description: 'user_logs/std_log.txt (default) or system_logs/agent.txt' },
      { name: 'offset', description: 'Byte offset to start from' },
    ],
    raw: async (c, i) => {
      const file = i.query.file ?? 'user_logs/std_log.txt';
      await i.services.jobs.readLog(p(i).ws, p(i).name, file);
      return streamJobLog(c, i.services, p(i).ws, p(i).name, file, intQuery(i, 'offset') ?? 0);
    },
  },
  {
    method: 'get',
    path: `${base}/{name}/metrics`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'Latest metrics, params and tags of a job',
    handler: async (i) => ({ status: 200, body: await i.services.jobs.runData(p(i).ws, p(i).name) }),
  },
  {
    method: 'get',
    path: `${base}/{name}/metrics/{key}/history`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'Every value of one metric',
    handler: async (i) => ({
      status: 200,
      body: { value: await i.services.jobs.metricHistory(p(i).ws, p(i).name, i.params.key ?? '') },
    }),
  },
];
