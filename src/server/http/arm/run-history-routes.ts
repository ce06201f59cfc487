import { HangarError } from '../../../domain/errors/hangar-error.js';
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
