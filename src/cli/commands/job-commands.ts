import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { JobResource } from '../../domain/jobs/job-view.js';
import type { HangarClient } from '../../sdk/index.js';
import { fetchBlob, fetchManifest } from '../../snapshots/snapshot-client.js';
import { materializeSnapshot } from '../../snapshots/snapshot-materializer.js';
import { action, clientFor, progress, withCommon, type CommonOptions } from '../cli-context.js';
import { print, type Column } from '../output.js';
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
}

const prop = (j: JobResource, k: string): unknown => j.properties[k];
const columns: Column<JobResource>[] = [
  { header: 'Name', value: (j) => j.name },
  { header: 'Experiment', value: (j) => prop(j, 'experimentName') },
  { header: 'Compute', value: (j) => prop(j, 'computeId') },
  { header: 'Status', value: (j) => prop(j, 'status') },
  { header: 'Reason', value: (j) => prop(j, 'statusReason') },
  { header: 'Created', value: (j) => j.systemData.createdAt },
];

/** Follows a job's log to stdout, status changes to stderr; answers the final status. */
export async function streamJob(client: HangarClient, name: string): Promise<string> {
  let status = '';
  for await (const e of client.jobs.stream(name)) {
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
    for (const file of ['user_logs/std_log.txt', 'system_logs/agent.txt']) {
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

/** `hangar job …`: the az ml job verbs. */
export function registerJobCommands(program: Command): void {
  const job = program.command('job').description('Submit and follow training jobs');
  withCommon(job.command('create').description('Submit a job from an az ml command job YAML'))
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
        // A local job runs inside this command, so it follows the job to its end like --stream.
        if (localAgentToken) {
          const final = await runLocally(client, created.name, localAgentToken, (name) =>
            streamJob(client, name),
          );
          if (final !== 'Completed') process.exitCode = 1;
          return;
        }
        if (!o.stream) return print(created, o, columns);
        const status = await streamJob(client, created.name);
        if (status !== 'Completed') process.exitCode = 1;
      }),
    );
  withCommon(job.command('show').description('Show a job'))
    .requiredOption('-n, --name <name>', 'job name')
    .action(action(async (o: JobFlags) => print(await clientFor(o).jobs.get(o.name ?? ''), o, columns)));
  withCommon(job.command('list').description('List jobs, newest first'))
    .option('-r, --max-results <n>', 'at most n jobs', '50')
    .action(
      action(async (o: JobFlags) =>
        print(await clientFor(o).jobs.list(Number(o.maxResults ?? 50)), o, columns),
      ),
    );
  withCommon(job.command('stream').description("Follow a job's log until it ends"), false)
    .requiredOption('-n, --name <name>', 'job name')
    .action(
      action(async (o: JobFlags) => {
        const status = await streamJob(clientFor(o), o.name ?? '');
        if (status !== 'Completed') process.exitCode = 1;
      }),
    );
  withCommon(job.command('cancel').description('Cancel a job'))
    .requiredOption('-n, --name <name>', 'job name')
    .option('--no-wait', 'do not wait')
    .action(action(async (o: JobFlags) => print(await clientFor(o).jobs.cancel(o.name ?? ''), o, columns)));
  withCommon(job.command('download').description('Download outputs and logs of a job'), false)
    .requiredOption('-n, --name <name>', 'job name')
    .option('-p, --download-path <dir>', 'where to write (default: .)')
    .option('--all', 'outputs, logs and the code snapshot')
    .option('--output-name <name>', 'only this named output')
    .action(action(async (o: JobFlags) => download(clientFor(o), o.name ?? '', o)));
  withCommon(job.command('metrics').description('Metrics, params and tags of a job (history with --key)'))
    .requiredOption('-n, --name <name>', 'job name')
    .option('-k, --key <metric>', 'history of one metric')
    .action(
      action(async (o: JobFlags) => {
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
