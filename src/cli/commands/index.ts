import type { Command } from 'commander';
import { registerAccessCommands } from './access-commands.js';
import { registerComputeCommands } from './compute-commands.js';
import { registerConfigureCommand } from './configure-command.js';
import { registerEnvironmentCommands } from './environment-commands.js';
import { registerJobCommands } from './job-commands.js';

/** Registers the API client commands (compute, job, environment, configure). */
export function registerClientCommands(program: Command): void {
  registerComputeCommands(program);
  registerJobCommands(program);
  registerEnvironmentCommands(program);
  registerConfigureCommand(program);
  registerAccessCommands(program);
}
