import type { Command } from 'commander';

/** az ml v2 command groups Hangar does not have yet, with what each one manages. */
export const unsupportedGroups: Readonly<Record<string, string>> = {
  'batch-endpoint': 'Batch endpoints',
  'batch-deployment': 'Batch deployments',
  schedule: 'Schedules',
  registry: 'Registries',
  workspace: 'Workspace management',
};

/** The one sentence a refused group prints. */
export function unsupportedGroupMessage(group: string): string {
  const what = unsupportedGroups[group] ?? group;
  const verb = what.endsWith('s') ? 'are' : 'is';
  return `${what} (az ml ${group}) ${verb} not supported by Hangar yet; see docs/azure-ml-compatibility.md.`;
}

/**
 * Registers each az ml group Hangar does not have yet as a command that refuses with one
 * sentence and exit code 1, whatever subcommand and flags follow (never the top-level help).
 */
export function registerUnsupportedCommands(program: Command): void {
  for (const group of Object.keys(unsupportedGroups)) {
    program
      .command(group, { hidden: true })
      .description(`az ml ${group} (not supported yet)`)
      .argument('[args...]')
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption(false)
      .action(() => {
        process.stderr.write(`ERROR: NotImplemented: ${unsupportedGroupMessage(group)}\n`);
        process.exitCode = 1;
      });
  }
}
