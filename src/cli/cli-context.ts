import { spawn } from 'node:child_process';
import { Option, type Command } from 'commander';
import { loadCliConfig } from '../config/config.js';
import { HangarApiError, HangarClient } from '../sdk/index.js';
import { checkQuery, outputFormatOf } from './output.js';

import { UsageError } from './usage-error.js';

export { UsageError };

/** Options every client command has: az ml's global flags. */
export interface CommonOptions {
  /** The workspace, from -w/--workspace-name (or its older spelling --workspace). */
  workspace?: string;
  workspaceName?: string;
  /** Accepted as az ml scripts pass them; recorded and shown with --verbose/--debug. */
  resourceGroup?: string;
  subscription?: string;
  output?: string;
  query?: string;
  debug?: boolean;
  verbose?: boolean;
  onlyShowErrors?: boolean;
  web?: boolean;
}

/** The SDK client for a command: server from HANGAR_URL or `hangar configure`, workspace from -w. */
export function clientFor(opts: CommonOptions): HangarClient {
  const cli = loadCliConfig();
  return new HangarClient({
    url: cli.url,
    ...(cli.token ? { token: cli.token } : {}),
    workspace: opts.workspaceName ?? opts.workspace ?? cli.workspace ?? 'default',
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

/** How a command's logging is set by --debug, --verbose and --only-show-errors. */
const logging = { debug: false, verbose: false, onlyShowErrors: false };

/** The studio page --web opens, when a command knows it better than its group and -n do. */
let webPath: string | undefined;

/** Tells --web which studio page shows this command's resource (e.g. a created job's page). */
export function setWebPath(path: string): void {
  webPath = path;
}

/** The studio path of a group's resource: the pages studio/src/app.tsx routes. */
export function studioPath(group: string, name: string | undefined): string {
  const page = { job: 'jobs', compute: 'computes' }[group];
  if (!page) return '/';
  return name ? `/${page}/${encodeURIComponent(name)}` : `/${page}`;
}

/** Opens a URL in the desktop's browser when there is one (stdout is a terminal); never fails. */
function openInBrowser(url: string): void {
  if (!process.stdout.isTTY) return;
  try {
    const child = spawn('xdg-open', [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener: the URL printed above is the answer.
  }
}

interface WithCommonOptions {
  /** Adds -o/--output and --query (default true). */
  output?: boolean;
  /** Gives --web its short form -e, as az ml job create/show do. */
  webShort?: boolean;
}

/**
 * Adds az ml's global flags: -w/--workspace-name (and --workspace), -g/--resource-group,
 * --subscription, -o/--output, --query, --debug, --verbose, --only-show-errors and --web.
 */
export function withCommon(cmd: Command, options: boolean | WithCommonOptions = true): Command {
  const o = typeof options === 'boolean' ? { output: options } : options;
  cmd
    .option('-w, --workspace-name <name>', 'workspace (default: default, or `hangar configure`)')
    .addOption(new Option('--workspace <name>', 'workspace (same as --workspace-name)').hideHelp())
    .option('-g, --resource-group <name>', 'accepted for az ml scripts; Hangar selects the workspace by name')
    .option('--subscription <id>', 'accepted for az ml scripts; Hangar selects the workspace by name');
  if (o.output !== false)
    cmd
      .option('-o, --output <format>', 'json | jsonc | yaml | yamlc | table | tsv | none (default: json)')
      .option('--query <jmespath>', 'JMESPath query over the output, e.g. "[?status==\'Completed\'].name"');
  cmd
    .option('--debug', 'show everything the command does, on stderr')
    .option('--verbose', 'show more on stderr')
    .option('--only-show-errors', 'only errors on stderr, no warnings')
    .option(o.webShort ? '-e, --web' : '--web', "print the resource's studio URL and open it in a browser");
  cmd.hook('preAction', (_self, actionCommand) => {
    const opts = actionCommand.opts<CommonOptions>();
    // A bad -o or --query is a usage error before anything is sent, as in az.
    if (opts.output !== undefined) outputFormatOf(opts.output);
    if (opts.query !== undefined) checkQuery(opts.query);
    const workspace = opts.workspaceName ?? opts.workspace;
    if (workspace !== undefined) {
      actionCommand.setOptionValue('workspace', workspace);
      actionCommand.setOptionValue('workspaceName', workspace);
    }
    logging.debug = opts.debug === true;
    logging.verbose = opts.verbose === true || logging.debug;
    logging.onlyShowErrors = opts.onlyShowErrors === true && !logging.verbose;
    if (logging.verbose) {
      const cli = loadCliConfig();
      const level = logging.debug ? 'DEBUG' : 'INFO';
      process.stderr.write(
        `${level}: server ${cli.url}, workspace ${workspace ?? cli.workspace ?? 'default'}` +
          `${opts.resourceGroup ? `, resource group ${opts.resourceGroup} (recorded, not used)` : ''}` +
          `${opts.subscription ? `, subscription ${opts.subscription} (recorded, not used)` : ''}\n`,
      );
    }
    if (logging.debug)
      process.stderr.write(`DEBUG: command ${commandPath(actionCommand)} ${JSON.stringify(opts)}\n`);
  });
  cmd.hook('postAction', (_self, actionCommand) => {
    const opts = actionCommand.opts<CommonOptions & { name?: string }>();
    if (!opts.web || (process.exitCode ?? 0) !== 0) return;
    const group = actionCommand.parent?.name() ?? '';
    const url = `${loadCliConfig().url.replace(/\/+$/, '')}${webPath ?? studioPath(group, opts.name)}`;
    process.stderr.write(`Studio: ${url}\n`);
    openInBrowser(url);
  });
  return cmd;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Progress on stderr (stdout stays clean for -o json); warnings are muted by --only-show-errors. */
export function progress(line: string): void {
  if (logging.onlyShowErrors && line.startsWith('WARNING')) return;
  process.stderr.write(`${line}\n`);
}

/** A line only --verbose and --debug show. */
export function verbose(line: string): void {
  if (logging.verbose) process.stderr.write(`INFO: ${line}\n`);
}
