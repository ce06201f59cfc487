import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, DEFAULT_PORT, type HangarConfig } from './config-schema.js';

export { DEFAULT_PORT, type HangarConfig, type LocationConfig } from './config-schema.js';

/** Flags given on the command line; they win over everything else. */
export interface ConfigFlags {
  home?: string;
  port?: number;
  host?: string;
  config?: string;
  insecureLocal?: boolean;
}

/** Thrown when configuration is invalid; lists every problem, not just the first. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** The directory that holds Hangar's data: flag ← HANGAR_HOME ← ~/.hangar. */
export function resolveHome(flags: ConfigFlags = {}, env: Env = process.env): string {
  return resolve(flags.home ?? env.HANGAR_HOME ?? join(homedir(), '.hangar'));
}

function readConfigFile(path: string, problems: string[]): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    const parsed: unknown = parseYaml(readFileSync(path, 'utf8'));
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`${path}: must be a mapping of settings`);
      return {};
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    problems.push(`${path}: ${(err as Error).message}`);
    return {};
  }
}

function envLayer(env: Env, problems: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env.HANGAR_PORT !== undefined) {
    const port = Number(env.HANGAR_PORT);
    if (!Number.isInteger(port)) problems.push(`HANGAR_PORT: must be an integer, got '${env.HANGAR_PORT}'`);
    else out.port = port;
  }
  if (env.HANGAR_HOST !== undefined) out.host = env.HANGAR_HOST;
  if (env.HANGAR_LOG_LEVEL !== undefined) out.logLevel = env.HANGAR_LOG_LEVEL;
  if (env.HANGAR_DATABASE_URL !== undefined) out.database = { url: env.HANGAR_DATABASE_URL };
  if (env.HANGAR_TEST_CLOCK !== undefined)
    out.testClock = env.HANGAR_TEST_CLOCK === '1' || env.HANGAR_TEST_CLOCK === 'true';
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * Builds the server configuration: defaults ← file (`--config` or `HANGAR_HOME/config.yaml`)
 * ← environment ← flags; validates it listing every problem; returns it frozen.
 */
export function loadConfig(flags: ConfigFlags = {}, env: Env = process.env): HangarConfig {
  const problems: string[] = [];
  const home = resolveHome(flags, env);
  const file = readConfigFile(flags.config ?? env.HANGAR_CONFIG ?? join(home, 'config.yaml'), problems);
  const merged: Record<string, unknown> = { ...file, ...envLayer(env, problems), home };
  if (flags.port !== undefined) merged.port = flags.port;
  if (flags.host !== undefined) merged.host = flags.host;
  if (flags.insecureLocal !== undefined) merged.insecureLocal = flags.insecureLocal;
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues)
      problems.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  } else {
    problems.push(...crossFieldProblems(result.data));
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return deepFreeze(result.data);
}

function crossFieldProblems(config: HangarConfig): string[] {
  const problems: string[] = [];
  if (config.insecureLocal && !['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
    problems.push(
      `insecureLocal: anonymous admin access is only allowed on loopback; host is '${config.host}'`,
    );
  }
  const names = config.locations.map((l) => l.name);
  if (!names.includes(config.defaultWorkspace.location)) {
    problems.push(
      `defaultWorkspace.location: '${config.defaultWorkspace.location}' is not a configured location (${names.join(', ')})`,
    );
  }
  const dupes = names.filter((n, i) => names.indexOf(n) !== i);
  if (dupes.length > 0) problems.push(`locations: duplicate names ${dupes.join(', ')}`);
  for (const [alias, target] of Object.entries(config.locationAliases)) {
    if (names.includes(alias))
      problems.push(
        `locationAliases.${alias}: '${alias}' is a configured location itself; an alias must be another name`,
      );
    if (!names.includes(target))
      problems.push(
        `locationAliases.${alias}: '${target}' is not a configured location (${names.join(', ')})`,
      );
  }
  return problems;
}

/** What the CLI needs: where the server is. */
export interface CliConfig {
  url: string;
  token?: string;
  workspace?: string;
}

/** CLI settings: HANGAR_URL / HANGAR_TOKEN ← `hangar configure` file ← default. */
export function loadCliConfig(env: Env = process.env): CliConfig {
  const file = join(resolveHome({}, env), 'cli.json');
  let saved: Partial<CliConfig> = {};
  if (existsSync(file)) {
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<CliConfig>;
    } catch {
      saved = {};
    }
  }
  const url = env.HANGAR_URL ?? saved.url ?? `http://127.0.0.1:${DEFAULT_PORT}`;
  const token = env.HANGAR_TOKEN ?? saved.token ?? localAdminToken(resolveHome({}, env));
  const workspace = env.HANGAR_WORKSPACE ?? saved.workspace;
  return {
    url,
    ...(token === undefined ? {} : { token }),
    ...(workspace === undefined ? {} : { workspace }),
  };
}

/**
 * On the server's own machine, the bootstrap admin's token in HANGAR_HOME/admin-credentials.json
 * (0600, so only its owner can read it) serves when nothing else is configured.
 */
function localAdminToken(home: string): string | undefined {
  try {
    const creds = JSON.parse(readFileSync(join(home, 'admin-credentials.json'), 'utf8')) as {
      token?: unknown;
    };
    return typeof creds.token === 'string' ? creds.token : undefined;
  } catch {
    return undefined;
  }
}

/** A password for `hangar login` given through HANGAR_PASSWORD (scripts), if any. */
export function cliPassword(env: Env = process.env): string | undefined {
  return env.HANGAR_PASSWORD;
}

/** Path of the CLI's saved settings (written by `hangar configure`). */
export function cliConfigPath(env: Env = process.env): string {
  return join(resolveHome({}, env), 'cli.json');
}

export { inheritedEnv } from './inherited-env.js';

export { DEFAULT_PORT as defaultPort };
