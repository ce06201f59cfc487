import type { Command } from 'commander';
import { loadCliConfig } from '../config/config.js';
import { HangarApiError, HangarClient } from '../sdk/index.js';

/** A CLI mistake (bad flags, unreadable file): exit code 2. */
export class UsageError extends Error {}

/** Options every client command has. */
export interface CommonOptions {
  workspace?: string;
  output?: string;
  query?: string;
}

/** The SDK client for a command: server from HANGAR_URL or `hangar configure`, workspace from -w. */
export function clientFor(opts: CommonOptions): HangarClient {
  const cli = loadCliConfig();
  return new HangarClient({
    url: cli.url,
    ...(cli.token ? { token: cli.token } : {}),
    workspace: opts.workspace ?? cli.workspace ?? 'default',
  });
}

/** Prints an error the way every command does and sets the exit code. */
export function reportError(err: unknown): void {
  if (err instanceof HangarApiError) {
    const e = err.error;
    process.stderr.write(`ERROR: ${e.code}: ${e.message}${e.target ? ` (target: ${e.target})` : ''}\n`);
    for (const d of e.details ?? [])
      process.stderr.write(`  - ${d.target ? `${d.target}: ` : ''}${d.message}\n`);
    process.exitCode = 1;
  } else if (err instanceof UsageError) {
    process.stderr.write(`ERROR: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`ERROR: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}

/** Wraps an action so errors print cleanly (no stack) with the right exit code. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      reportError(err);
    }
  };
}

/** Adds --workspace and --output to a command. */
export function withCommon(cmd: Command, output = true): Command {
  cmd.option('-w, --workspace <name>', 'workspace (default: default)');
  if (output)
    cmd
      .option('-o, --output <format>', 'json | yaml | table | tsv', 'json')
      .option(
        '--query <expression>',
        'JMESPath subset: fields, [N], [] projections (e.g. properties.status)',
      );
  return cmd;
}

/** Progress on stderr (stdout stays clean for -o json). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
