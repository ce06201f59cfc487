import type { Command } from 'commander';
import { action, clientFor, withCommon } from '../cli-context.js';
import { printResult } from '../output.js';
import { versionOf, type AssetFlags } from './asset-cli.js';

interface Edge {
  job: string;
  direction: 'input' | 'output';
  port: string;
  name: string;
  version: string;
  at: string;
}

const columns = [
  { header: 'Job', value: (e: Edge) => e.job },
  { header: 'Direction', value: (e: Edge) => (e.direction === 'input' ? 'read' : 'wrote') },
  { header: 'Port', value: (e: Edge) => e.port },
  { header: 'Version', value: (e: Edge) => e.version },
  { header: 'At', value: (e: Edge) => e.at },
];

/**
 * `hangar data|model|component lineage -n NAME [-v V | -l latest]`: the jobs that read (as an
 * input) or wrote (as an output) a version; added to the groups the asset commands made.
 */
export function registerLineageCommands(program: Command): void {
  for (const [group, segment] of [
    ['data', 'data'],
    ['model', 'models'],
    ['component', 'components'],
  ] as const) {
    const cmd = program.commands.find((c) => c.name() === group);
    if (!cmd) continue;
    withCommon(cmd.command('lineage').description(`Jobs that read or wrote a ${group} version`))
      .requiredOption('-n, --name <name>', 'name')
      .option('-v, --version <version>', 'version')
      .option('-l, --label <label>', "label ('latest', the default)")
      .action(
        action(async (o: AssetFlags) => {
          const client = clientFor(o);
          const path = `/api/workspaces/${encodeURIComponent(client.workspace)}/${segment}/${encodeURIComponent(o.name ?? '')}/versions/${encodeURIComponent(versionOf(o))}/jobs`;
          const { value } = await client.http.request<{ value: Edge[] }>('GET', path);
          printResult(value, { ...o, tableColumns: columns });
        }),
      );
  }
}
