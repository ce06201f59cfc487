import { HangarError } from '../../../domain/errors/hangar-error.js';
import type { JobRecord } from '../../../domain/jobs/job-record.js';
import { logFilesOf } from '../../../domain/jobs/process-plan.js';
import type { SecretBox } from '../../secrets/secret-box.js';
import { action, type RouteDef, type RouteInput } from '../route-def.js';
import { WS } from './arm-paths.js';

const tag = 'Azure ML (run history)';
const HISTORY = `/history/v1.0${WS}`;
const PURPOSE = 'azureml-log-url';
/** Log URLs are capabilities (the SDK fetches them without credentials): short-lived. */
const LOG_URL_SECONDS = 15 * 60;

function logSig(box: SecretBox, ws: string, job: string, exp: number): string {
  return box.sign(PURPOSE, `${ws}\n${job}\n${exp}`);
}

/** Run details as `jobs.stream` reads them: status, log files as capability URLs, error. */
async function runDetails(input: RouteInput): Promise<unknown> {
  const ws = input.params.workspace ?? '';
  const job = await input.services.jobs.get(ws, input.params.name ?? '');
  const exp = Math.floor(input.services.ctx.clock.now().getTime() / 1000) + LOG_URL_SECONDS;
  const sig = logSig(input.services.ctx.secrets, ws, job.name, exp);
  const logFiles: Record<string, string> = {};
  for (const file of logFilesOf(job))
    logFiles[file] = `${input.baseUrl}/azureml-logs/${ws}/${job.name}/${file}?se=${exp}&sig=${sig}`;
  return {
    runId: job.name,
    runUuid: job.name,
    status: job.status,
    target: job.computeName,
    experimentName: job.experimentName,
    displayName: job.displayName ?? job.name,
    startTimeUtc: job.startTime ?? null,
    endTimeUtc: job.endTime ?? null,
    error:
      job.status === 'Failed'
        ? { error: { code: 'UserError', message: job.reason ?? 'The job failed.' } }
        : null,
    warnings: [],
    tags: job.spec.tags ?? {},
    properties: {},
    logFiles,
    services: {},
  };
}

/** A child job (a pipeline step, a sweep trial) as a run-history Run, what `jobs.list(parent_job_name=…)` reads. */
function childRun(job: JobRecord, parent: string): unknown {
  return {
    runId: job.name,
    runUuid: job.name,
    parentRunId: parent,
    rootRunId: parent,
    // Azure names a step's run after its node (`prep`), as the step job's display name is here.
    displayName: job.displayName ?? job.name,
    status: job.status,
    experimentId: job.experimentName,
    createdUtc: job.createdAt,
    startTimeUtc: job.startTime ?? null,
    endTimeUtc: job.endTime ?? null,
    description: typeof job.spec.description === 'string' ? job.spec.description : null,
    tags: Object.fromEntries(Object.entries(job.spec.tags ?? {}).map(([k, v]) => [k, String(v)])),
    properties: job.pipelineStep?.reusedFrom
      ? { 'azureml.isreused': 'true', 'azureml.reusedrunid': job.pipelineStep.reusedFrom }
      : {},
    compute: job.computeName ? { target: job.computeName } : null,
    services: {},
  };
}

/** The run-history and dataplane calls `jobs.stream` and `jobs.download` make (base: discovery's `api`). */
export const runHistoryRoutes: RouteDef[] = [
  {
    method: 'get',
    path: `${HISTORY}/runs/{name}/details`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'Run details: status and log files (capability URLs, 15 minutes)',
    handler: async (input) => ({ status: 200, body: await runDetails(input) }),
  },
  {
    method: 'get',
    path: `${HISTORY}/runs/{name}/children`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: "A job's child runs: a pipeline's steps, a sweep's trials (jobs.list(parent_job_name=…))",
    handler: async (input) => {
      const parent = input.params.name ?? '';
      const children = await input.services.jobs.children(input.params.workspace ?? '', parent);
      // Ranks of a multi-node job are internal, as in the job list.
      const runs = children.filter((j) => j.gang?.parent === undefined).map((j) => childRun(j, parent));
      return { status: 200, body: { value: runs, continuationToken: null, nextLink: null } };
    },
  },
  {
    method: 'post',
    path: `${HISTORY}/rundata`,
    action: action('workspaces/jobs/read'),
    tag,
    summary:
      "A run's metadata (status; named outputs are not listed: download finds the job's outputs/ folder)",
    handler: async (input) => {
      const runId = (input.body as { runId?: unknown } | undefined)?.runId;
      if (typeof runId !== 'string' || !runId)
        throw new HangarError('ValidationFailed', 'runId: required (the job name).', 'runId');
      const job = await input.services.jobs.get(input.params.workspace ?? '', runId);
      return { status: 200, body: { runMetadata: { runId: job.name, status: job.status, outputs: null } } };
    },
  },
  {
    method: 'get',
    path: '/azureml-logs/{workspace}/{job}/{folder}/{file}',
    action: 'Hangar/azureml/logs/read',
    auth: 'public',
    tag,
    summary: 'A job log file by capability URL (from run details; whole file, text)',
    query: [
      { name: 'se', description: 'Expiry (epoch seconds)', required: true },
      { name: 'sig', description: 'Signature', required: true },
    ],
    raw: async (c, input) => {
      const { workspace: ws = '', job = '', folder = '', file = '' } = input.params;
      const exp = Number(input.query.se);
      const sig = input.query.sig ?? '';
      const now = input.services.ctx.clock.now().getTime() / 1000;
      if (!Number.isInteger(exp) || exp < now || sig !== logSig(input.services.ctx.secrets, ws, job, exp))
        throw new HangarError(
          'Unauthenticated',
          'This log URL is not valid or has expired; read the run details again.',
          'sig',
        );
      let data: Buffer;
      try {
        data = (await input.services.jobs.readLog(ws, job, `${folder}/${file}`)).data;
      } catch (err) {
        if (err instanceof HangarError && err.code === 'NotFound') data = Buffer.alloc(0);
        else throw err;
      }
      return c.body(new Uint8Array(data), 200, { 'content-type': 'text/plain; charset=utf-8' });
    },
  },
];
