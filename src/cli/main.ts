#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { Command, CommanderError } from 'commander';
import { version } from '../server/version.js';
import { expandAbbreviations } from './argv-abbrev.js';
import { UsageError } from './usage-error.js';
import { registerAgentCommand } from './commands/agent-command.js';

// fetch parses HTTP with WebAssembly, whose optimizing compile runs in the background and holds
// the process at exit (0.1–0.3 s after the last answer of a short command). A client command
// keeps the baseline compile; the long-running server and agent keep the optimized one.
if (!['server', 'agent'].includes(process.argv[2] ?? '')) setFlagsFromString('--liftoff-only');

const program = new Command();
program
  .name('hangar')
  .description('Hangar: a self-hosted compute plane for ML training and deployment')
  .version(version);
// `hangar agent` starts on every new node (a Slurm allocation's job waits for it to register): it
// loads only its own command, not the server's and the client's (a few hundred ms of module loading).
if (process.argv[2] === 'agent') registerAgentCommand(program);
else {
  const [{ registerServerCommand }, { registerClientCommands }] = await Promise.all([
    import('./commands/server-command.js'),
    import('./commands/index.js'),
  ]);
  registerServerCommand(program);
  registerAgentCommand(program);
  registerClientCommands(program);
}

// Usage mistakes exit 2 as az's do (commander would exit 1); help and --version exit 0.
const everyCommand = (c: Command): Command[] => [c, ...c.commands.flatMap(everyCommand)];
for (const c of everyCommand(program)) c.exitOverride();

function exitWith(err: unknown): never {
  if (err instanceof CommanderError) {
    // A group named without a verb shows its help and exits 0, as `az ml job` does.
    const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code);
    process.exit(ok ? 0 : 2);
  }
  if (err instanceof UsageError) {
    process.stderr.write(`ERROR: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`hangar: ${(err as Error).message}\n`);
  process.exit(1);
}

let args: string[];
try {
  args = expandAbbreviations(program, process.argv.slice(2));
} catch (err) {
  exitWith(err);
}
program.parseAsync(args, { from: 'user' }).catch(exitWith);
