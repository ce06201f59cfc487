import type { Command } from 'commander';
import type { HangarClient } from '../../sdk/index.js';
import { action, clientFor, UsageError, withCommon, type CommonOptions } from '../cli-context.js';
import { print } from '../output.js';

/** One series as the server answers it. */
interface Series {
  name: string;
  gpu?: number;
  points: { time: string; value: number }[];
}

const label = (s: Series): string => (s.gpu === undefined ? s.name : `${s.name} (GPU ${s.gpu})`);

/** One row per series: its latest, mean and highest value, and how many points it has. */
function printSeries(series: Series[], o: CommonOptions, hints: string[] = []): void {
  if (o.output !== 'table') return print({ value: series, ...(hints.length ? { hints } : {}) }, o, []);
  const round = (v: number): number => Math.round(v * 100) / 100;
  print(series, 'table', [
    { header: 'Metric', value: label },
    { header: 'Latest', value: (s) => round(s.points.at(-1)?.value ?? 0) },
    {
      header: 'Mean',
      value: (s) => round(s.points.reduce((a, p) => a + p.value, 0) / (s.points.length || 1)),
    },
    { header: 'Max', value: (s) => round(Math.max(0, ...s.points.map((p) => p.value))) },
    { header: 'Points', value: (s) => s.points.length },
    { header: 'Last sample', value: (s) => s.points.at(-1)?.time ?? '' },
  ]);
  for (const h of hints) process.stderr.write(`Hint: ${h}\n`);
}

const since = (value: string | undefined): string => {
  if (value === undefined) return '';
  if (Number.isNaN(Date.parse(value)))
    throw new UsageError(`--since must be an ISO 8601 time such as 2026-01-31T12:00:00Z; got '${value}'`);
  return `?since=${encodeURIComponent(value)}`;
};

const ws = (client: HangarClient): string => `/api/workspaces/${encodeURIComponent(client.workspace)}`;

/** `hangar job metrics --system`: the job's utilisation (CPU, memory, GPUs) and hints. */
export async function printJobSystemMetrics(
  o: CommonOptions & { name?: string; since?: string },
): Promise<void> {
  const client = clientFor(o);
  const data = await client.http.request<{ value: Series[]; hints: string[] }>(
    'GET',
    `${ws(client)}/jobs/${encodeURIComponent(o.name ?? '')}/systemMetrics${since(o.since)}`,
  );
  printSeries(data.value, o, data.hints);
}

/** `hangar compute show-metrics -n X --node-id N`. */
export function registerMetricsCommands(program: Command): void {
  const compute = program.commands.find((c) => c.name() === 'compute');
  if (!compute) return;
  withCommon(
    compute
      .command('show-metrics')
      .description(
        "A node's utilisation: CPU, memory, disk, network and each GPU (Azure ML's system metric names)",
      ),
  )
    .requiredOption('-n, --name <name>', 'compute name')
    .requiredOption('--node-id <id>', 'node id (see `hangar compute list-nodes`)')
    .option('--since <time>', 'only points at or after this ISO 8601 time')
    .action(
      action(async (o: CommonOptions & { name: string; nodeId: string; since?: string }) => {
        const client = clientFor(o);
        const data = await client.http.request<{ value: Series[] }>(
          'GET',
          `${ws(client)}/computes/${encodeURIComponent(o.name)}/nodes/${encodeURIComponent(o.nodeId)}/metrics${since(o.since)}`,
        );
        printSeries(data.value, o);
      }),
    );
}
