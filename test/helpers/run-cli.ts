import { cliPath, spawnMarked } from './processes.js';
import { adminToken } from './server-process.js';

/** Result of one CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `hangar` CLI with HANGAR_URL set; resolves when it exits. */
export function runCli(
  args: string[],
  opts: { url?: string; env?: Record<string, string>; cwd?: string; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = { ...opts.env };
    if (opts.url) env.HANGAR_URL = opts.url;
    const token = opts.url ? adminToken(opts.url) : undefined;
    if (token && env.HANGAR_TOKEN === undefined) env.HANGAR_TOKEN = token;
    const child = spawnMarked(process.execPath, [cliPath, ...args], {
      env,
      cwd: opts.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin?.end(opts.input ?? '');
  });
}
