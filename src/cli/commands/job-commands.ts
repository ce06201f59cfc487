import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { JobResource } from '../../domain/jobs/job-view.js';
import type { HangarClient } from '../../sdk/index.js';
import type { JobChanges, JobListView } from '../../sdk/jobs.js';
import { fetchBlob, fetchManifest } from '../../snapshots/snapshot-client.js';
import { materializeSnapshot } from '../../snapshots/snapshot-materializer.js';
import { jobShape } from '../az-shape/job-shape.js';
import {
  action,
  clientFor,
  progress,
  setWebPath,
  studioPath,
  UsageError,
  withCommon,
  type CommonOptions,
} from '../cli-context.js';
import { printJobSystemMetrics } from './metrics-commands.js';
import { print, printResult, type Column } from '../output.js';
import { describeUpload, prepareJob, uploadJob } from './job-submit.js';
import { runLocally } from './local-run.js';

interface JobFlags extends CommonOptions {
  name?: string;
  file?: string;
  set?: string[];
  stream?: boolean;
  dryRun?: boolean;
  maxResults?: string;
  downloadPath?: string;
  all?: boolean;
  outputName?: string;
  key?: string;
  rank?: string;
  remove?: string[];
  includeArchived?: boolean;
  archivedOnly?: boolean;
  parentJobName?: string;
  allResults?: boolean;
}

const prop = (j: JobResource, k: string): unknown => j.properties[k];
type Shaped = Record<string, unknown>;
/** `-o table` of jobs, read from the flat az ml shape. */
const columns: Column<Shaped>[] = [
  { header: 'Name', value: (j) => j.name },
  { header: 'Experiment', value: (j) => j.experiment_name },
  { header: 'Compute', value: (j) => j.compute },
  { header: 'Status', value: (j) => j.status },
  { header: 'Reason', value: (j) => j.status_reason },
  { header: 'Created', value: (j) => (j.creation_context as Shaped | undefined)?.created_at },
];

/** Prints jobs as az ml does: the flat snake_case entity (or a list of them). */
const eventColumns: Column<Record<string, unknown>>[] = ['at', 'level', 'reason', 'message'].map((k) => ({
  header: k[0]?.toUpperCase() + k.slice(1),
  value: (e: Record<string, unknown>) => e[k],
}));

function show(value: JobResource | JobResource[], o: JobFlags): void {
  printResult(Array.isArray(value) ? value.map(jobShape) : jobShape(value), { ...o, tableColumns: columns });
}

/**
 * `job update --set/--remove`: display_name, description, tags.<key> and properties.<key>, the
 * fields az ml job update changes; anything else is refused naming it.
 */
export function jobChangesOf(set: string[], remove: string[]): JobChanges {
  const changes: JobChanges = {};
  const fixed = (field: string, flag: string): UsageError =>
    new UsageError(
      `${flag}: '${field}' cannot be changed on a submitted job; job update changes display_name, description, tags.<key> and properties.<key>`,
    );
  for (const pair of set) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set: '${pair}' must be field=value`);
    const field = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    const [head, ...rest] = field.split('.');
    const key = rest.join('.');
    if (field === 'display_name') {
      if (value === '') throw new UsageError('--set: display_name must not be empty');
      changes.displayName = value;
    } else if (field === 'description') changes.description = value;
    else if ((head === 'tags' || head === 'properties') && key !== '')
      changes[head] = { ...changes[head], [key]: value };
    else throw fixed(field, '--set');
  }
  for (const field of remove) {
    const [head, ...rest] = field.split('.');
    const key = rest.join('.');
    if (field === 'description') changes.description = null;
    else if ((head === 'tags' || head === 'properties') && key !== '')
      changes[head] = { ...changes[head], [key]: null };
    else throw fixed(field, '--remove');
  }
  if (Object.keys(changes).length === 0)
    throw new UsageError('job update: nothing to change; give --set field=value or --remove field');
  return changes;
}

/** Follows a job's log to stdout, status changes to stderr; answers the final status. */
export async function streamJob(
  client: HangarClient,
  name: string,
  file = 'user_logs/std_log.txt',
): Promise<string> {
  let status = '';
  for await (const e of client.jobs.stream(name, file)) {
    if (e.event === 'log') process.stdout.write(String(e.data.text ?? ''));
    else if (e.event === 'status' && e.data.status !== status) {
      status = String(e.data.status);
      progress(`[${name}] ${status}${e.data.reason ? `: ${String(e.data.reason)}` : ''}`);
    } else if (e.event === 'end') {
      status = String(e.data.status);
      const error = e.data.error as { message?: string } | undefined;
      progress(
        `[${name}] ${status}${e.data.exitCode !== undefined ? ` (exit code ${String(e.data.exitCode)})` : ''}${error?.message ? `: ${error.message}` : ''}`,
      );
    }
  }
  const metrics = await client.jobs.metrics(name);
  for (const m of metrics.metrics) progress(`[${name}] metric ${m.key} = ${m.value}`);
  return status;
}

async function download(client: HangarClient, name: string, o: JobFlags): Promise<void> {
  const job = await client.jobs.get(name);
  // A pipeline's output is one of its steps' outputs (azureml://jobs/<step job>/outputs/<name>).
  const bound = (prop(job, 'pipeline') as { outputs?: Record<string, string> } | undefined)?.outputs?.[
    o.outputName ?? ''
  ];
  const step = bound ? /^azureml:\/\/jobs\/([^/]+)\/outputs\/([^/]+)$/.exec(bound) : null;
  if (step?.[1] && step[2]) {
    progress(
      `output ${o.outputName ?? ''} of pipeline ${name} is output ${step[2]} of its step job ${step[1]}`,
    );
    return download(client, step[1], { ...o, outputName: step[2] });
  }
  const root = join(o.downloadPath ?? '.', name);
  const transport = { url: client.http.url, headers: client.http.headers() };
  const outputs = prop(job, 'outputsSnapshotId') as string | undefined;
  if (outputs) {
    const manifest = await fetchManifest(transport, outputs);
    const wanted = o.outputName
      ? { ...manifest, entries: manifest.entries.filter((e) => e.path.startsWith(`${o.outputName}/`)) }
      : manifest;
    await materializeSnapshot(wanted, join(root, 'outputs'), (sha) => fetchBlob(transport, sha, outputs));
    progress(`outputs: ${wanted.entries.length} file(s) → ${join(root, 'outputs')}`);
  } else progress('outputs: none recorded');
  if (o.all || !o.outputName) {
    // A distributed job lists each process's log too (user_logs/std_log_process_<rank>.txt).
    const listed = prop(job, 'logFiles') as string[] | undefined;
    for (const file of listed ?? ['user_logs/std_log.txt', 'system_logs/agent.txt']) {
      mkdirSync(join(root, file, '..'), { recursive: true });
      writeFileSync(join(root, file), await client.jobs.log(name, file));
    }
    progress(`logs → ${join(root, 'user_logs')}, ${join(root, 'system_logs')}`);
  }
  const code = prop(job, 'codeId') as string | undefined;
  if (o.all && code) {
    await materializeSnapshot(await fetchManifest(transport, code), join(root, 'code'), (sha) =>
      fetchBlob(transport, sha, code),
    );
    progress(`code snapshot → ${join(root, 'code')}`);
  }
}

/**
 * A pipeline as `job show` prints it: each step with its job's status and whether it was reused
 * (or which part of its key differed from the closest earlier run), read from the step jobs.
 */
async function withStepDetails(client: HangarClient, job: JobResource): Promise<JobResource> {
  const pipeline = prop(job, 'pipeline') as { steps?: Record<string, unknown>[] } | undefined;
  if (!pipeline?.steps) return job;
  const children = new Map((await client.jobs.children(job.name)).map((c) => [c.name, c]));
  const steps = pipeline.steps.map((s) => {
    const child = children.get(String(s.job));
    if (!child) return s;
    const own = prop(child, 'pipelineStep') as { reuse?: string; reusedFrom?: string } | undefined;
    return {
      ...s,
      phase: prop(child, 'status'),
      why: prop(child, 'statusReason') ?? (prop(child, 'error') as { message?: string } | undefined)?.message,
      ...(own?.reusedFrom ? { reusedFrom: own.reusedFrom } : {}),
      ...(own?.reuse ? { reuse: own.reuse } : {}),
    };
  });
  return { ...job, properties: { ...job.properties, pipeline: { ...pipeline, steps } } };
}

/** `hangar job …`: the az ml job verbs. */
export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('Submit and follow training jobs');
  withCommon(job.command('create').description('Submit a job from an az ml command job YAML'), {
    webShort: true,
  })
    .requiredOption('-f, --file <file>', 'job YAML')
    .option('-n, --name <name>', 'job name (default: generated)')
    .option('--set <pairs...>', 'override YAML fields: key.path=value')
    .option('-s, --stream', 'follow the log until the job ends')
    .option('--dry-run', 'show what would be uploaded, submit nothing')
    .action(
      action(async (o: JobFlags) => {
        const prepared = await prepareJob(o.file ?? '', o.name, o.set ?? []);
        if (o.dryRun) {
          process.stdout.write(`${describeUpload(prepared)}\n`);
          return;
        }
        const client = clientFor(o);
        const { localAgentToken, ...created } = await client.jobs.create(
          await uploadJob(client, prepared),
          o.name,
        );
        progress(`Submitted ${created.name} to ${String(prop(created, 'computeId'))}`);
        setWebPath(studioPath('job', created.name));
        // A local job runs inside this command, so it follows the job to its end like --stream.
        if (localAgentToken) {
          const final = await runLocally(client, created.name, localAgentToken, (name) =>
            streamJob(client, name),
          );
          if (final !== 'Completed') process.exitCode = 1;
          return;
        }
        if (!o.stream) return show(created, o);
        const status = await streamJob(client, created.name);
        if (status !== 'Completed') process.exitCode = 1;
      }),
    );
  withCommon(job.command('show').description('Show a job'), { webShort: true })
    .requiredOption('-n, --name <name>', 'job name')
    .action(
      action(async (o: JobFlags) => {
        const client = clientFor(o);
        show(await withStepDetails(client, await client.jobs.get(o.name ?? '')), o);
      }),
    );
  withCommon(
    job
      .command('events')
      .description('Events of a job: environment substitutions, early termination by a sweep policy'),
  )
    .requiredOption('-n, --name <name>', 'job name')
    .action(
      action(async (o: JobFlags) =>
        printResult(await clientFor(o).jobs.events(o.name ?? ''), { ...o, tableColumns: eventColumns }),
      ),
    );
  withCommon(job.command('list').description('List jobs, newest first'))
    .option('-r, --max-results <n>', 'at most n jobs', '50')
    .option('--all-results', 'every job (no --max-results limit)')
    .option('--include-archived', 'archived jobs too')
    .option('--archived-only', 'only archived jobs')
    .option(
      '-p, --parent-job-name <name>',
      'the child jobs of this job (a multi-node job: its ranks; a pipeline: its steps)',
    )
    .action(
      action(async (o: JobFlags) => {
        const client = clientFor(o);
        if (o.parentJobName !== undefined) return show(await client.jobs.children(o.parentJobName), o);
        const max = o.allResults ? Number.POSITIVE_INFINITY : Number(o.maxResults ?? 50);
        if (!(max > 0))
          throw new UsageError(`--max-results: '${o.maxResults ?? ''}' must be a positive number`);
        const view: JobListView = o.archivedOnly ? 'ArchivedOnly' : o.includeArchived ? 'All' : 'ActiveOnly';
        show(await client.jobs.list(max, view), o);
      }),
    );
  withCommon(
    job
      .command('update')
      .description('Update a job: display_name, description, tags, properties (--set/--remove)'),
    { webShort: true },
  )
    .requiredOption('-n, --name <name>', 'job name')
    .option('--set <pairs...>', 'field=value: display_name, description, tags.<key>, properties.<key>')
    .option('--remove <fields...>', 'fields to remove: description, tags.<key>, properties.<key>')
    .action(
      action(async (o: JobFlags) => {
        const changes = jobChangesOf(o.set ?? [], o.remove ?? []);
        show(await clientFor(o).jobs.update(o.name ?? '', changes), o);
      }),
    );
  for (const verb of ['archive', 'restore'] as const)
    withCommon(
      job
        .command(verb)
        .description(
          verb === 'archive'
            ? 'Archive a job (job list leaves it out unless --include-archived)'
            : 'Restore an archived job',
        ),
      false,
    )
      .requiredOption('-n, --name <name>', 'job name')
      .action(
        action(async (o: JobFlags) => {
          const client = clientFor(o);
          await (verb === 'archive' ? client.jobs.archive(o.name ?? '') : client.jobs.restore(o.name ?? ''));
          progress(`${verb === 'archive' ? 'Archived' : 'Restored'} ${o.name ?? ''}`);
        }),
      );
  withCommon(job.command('stream').description("Follow a job's log until it ends"), false)
    .requiredOption('-n, --name <name>', 'job name')
    .option(
      '--rank <n>',
      "a distributed job's process of this global rank (user_logs/std_log_process_<n>.txt)",
    )
    .action(
      action(async (o: JobFlags) => {
        if (o.rank !== undefined && !/^\d{1,6}$/.test(o.rank))
          throw new UsageError(`--rank: must be a process rank (0, 1, …); got '${o.rank}'`);
        const file = o.rank === undefined ? undefined : `user_logs/std_log_process_${o.rank}.txt`;
        const status = await streamJob(clientFor(o), o.name ?? '', file);
        if (status !== 'Completed') process.exitCode = 1;
      }),
    );
  withCommon(job.command('cancel').description('Cancel a job'))
    .requiredOption('-n, --name <name>', 'job name')
    .option('--no-wait', 'do not wait')
    .action(action(async (o: JobFlags) => show(await clientFor(o).jobs.cancel(o.name ?? ''), o)));
  withCommon(job.command('download').description('Download outputs and logs of a job'), false)
    .requiredOption('-n, --name <name>', 'job name')
    .option('-p, --download-path <dir>', 'where to write (default: .)')
    .option('--all', 'outputs, logs and the code snapshot')
    .option('--output-name <name>', 'only this named output')
    .action(action(async (o: JobFlags) => download(clientFor(o), o.name ?? '', o)));
  withCommon(job.command('metrics').description('Metrics, params and tags of a job (history with --key)'))
    .requiredOption('-n, --name <name>', 'job name')
    .option('-k, --key <metric>', 'history of one metric')
    .option('--system', 'utilisation instead: CPU, memory and GPU system metrics, with hints')
    .option('--since <time>', 'with --system: only points at or after this ISO 8601 time')
    .action(
      action(async (o: JobFlags & { system?: boolean; since?: string }) => {
        if (o.system) return printJobSystemMetrics(o);
        const client = clientFor(o);
        if (o.key) {
          const history = await client.jobs.metricHistory(o.name ?? '', o.key);
          return print(history.value, o, [
            { header: 'Step', value: (m) => m.step },
            { header: 'Value', value: (m) => m.value },
            { header: 'Timestamp', value: (m) => new Date(m.timestamp).toISOString() },
          ]);
        }
        const data = await client.jobs.metrics(o.name ?? '');
        if (o.output === 'table')
          return print(data.metrics, 'table', [
            { header: 'Metric', value: (m) => m.key },
            { header: 'Value', value: (m) => m.value },
            { header: 'Step', value: (m) => m.step },
          ]);
        print(data, o, []);
      }),
    );
}
