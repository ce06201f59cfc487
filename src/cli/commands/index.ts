import type { Command } from 'commander';
import { registerAccessCommands } from './access-commands.js';
import { registerComputeCommands } from './compute-commands.js';
import { registerComputeTargetCommands } from './computetarget-commands.js';
import { registerConfigureCommand } from './configure-command.js';
import { registerEnvironmentCommands } from './environment-commands.js';
import { registerJobCommands } from './job-commands.js';
import { registerUnsupportedCommands } from './unsupported-commands.js';
import { registerV1RunCommands } from './v1-run-commands.js';

/** Registers the API client commands (compute, job, environment, configure; v1's computetarget, run, folder). */
export function registerClientCommands(program: Command): void {
  registerComputeCommands(program);
  registerJobCommands(program);
  registerEnvironmentCommands(program);
  registerConfigureCommand(program);
  registerAccessCommands(program);
  registerComputeTargetCommands(program);
  registerV1RunCommands(program);
  registerUnsupportedCommands(program);
}
