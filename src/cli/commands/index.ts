import type { Command } from 'commander';
import { registerAdminGcCommand } from './admin-gc-command.js';
import { registerLineageCommands } from './lineage-command.js';
import { registerAccessCommands } from './access-commands.js';
import { registerAzuremlEnvCommand } from './azureml-env-command.js';
import { registerComputeCommands } from './compute-commands.js';
import { registerComponentCommands } from './component-commands.js';
import { registerComputeTargetCommands } from './computetarget-commands.js';
import { registerConfigureCommand } from './configure-command.js';
import { registerDataCommands } from './data-commands.js';
import { registerDatastoreCommands } from './datastore-commands.js';
import { registerEnvironmentCommands } from './environment-commands.js';
import { registerEndpointCommands } from './endpoint-commands.js';
import { registerJobCommands } from './job-commands.js';
import { registerMigrateStoreCommand } from './migrate-store-command.js';
import { registerMetricsCommands } from './metrics-commands.js';
import { registerModelCommands } from './model-commands.js';
import { registerUnsupportedCommands } from './unsupported-commands.js';
import { registerV1RunCommands } from './v1-run-commands.js';

/** Registers the API client commands (compute, job, environment, configure; v1's computetarget, run, folder). */
export function registerClientCommands(program: Command): void {
  registerComputeCommands(program);
  registerJobCommands(program);
  registerMetricsCommands(program);
  registerEnvironmentCommands(program);
  registerDatastoreCommands(program);
  registerDataCommands(program);
  registerModelCommands(program);
  registerComponentCommands(program);
  registerEndpointCommands(program);
  registerLineageCommands(program);
  registerConfigureCommand(program);
  registerAccessCommands(program);
  registerComputeTargetCommands(program);
  registerV1RunCommands(program);
  registerAzuremlEnvCommand(program);
  registerAdminGcCommand(program);
  registerMigrateStoreCommand(program);
  registerUnsupportedCommands(program);
}
