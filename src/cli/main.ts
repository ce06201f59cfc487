#!/usr/bin/env node
import { Command } from 'commander';
import { version } from '../server/version.js';
import { registerAgentCommand } from './commands/agent-command.js';
import { registerServerCommand } from './commands/server-command.js';
import { registerClientCommands } from './commands/index.js';

const program = new Command();
program
  .name('hangar')
  .description('Hangar: a self-hosted compute plane for ML training and deployment')
  .version(version);
registerServerCommand(program);
registerAgentCommand(program);
registerClientCommands(program);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`hangar: ${(err as Error).message}\n`);
  process.exit(1);
});
