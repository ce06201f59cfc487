// Starts a real Hangar server (built CLI) in a fresh HANGAR_HOME for a benchmark, and stops it
// with every node agent it started.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const cli = resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `hangar server --port 0` and resolves once /api/health answers. `execArgv` goes to node
 * before the CLI (e.g. `--import` of a preload); `onMessage` opens an IPC channel to the server.
 */
export async function startServer(config = '', { execArgv = [], onMessage } = {}) {
  const home = mkdtempSync(join(tmpdir(), 'hangar-bench-'));
  const args = [cli, 'server', '--port', '0', '--home', home];
  if (config) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(home, 'config.yaml'), config);
  }
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROFILE_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`]
        : []),
      ...execArgv,
      ...args,
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit', ...(onMessage ? ['ipc'] : [])],
      env: { ...process.env, HANGAR_LOG_LEVEL: 'warn' },
    },
  );
  if (onMessage) child.on('message', onMessage);
  const deadline = Date.now() + 20_000;
  for (;;) {
    // Read once complete: the server may be writing it right now.
    const url = existsSync(join(home, 'server.json'))
      ? (() => {
          try {
            return JSON.parse(readFileSync(join(home, 'server.json'), 'utf8')).url;
          } catch {
            return undefined;
          }
        })()
      : undefined;
    if (url) {
      if ((await fetch(`${url}/api/health`).catch(() => undefined))?.ok) {
        const token = JSON.parse(readFileSync(join(home, 'admin-credentials.json'), 'utf8')).token;
        tokens.set(url, token);
        return { url, home, child, token, stop: () => stopServer(child, home) };
      }
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the server did not start');
    await sleep(100);
  }
}

async function stopServer(child, home) {
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  // Agents outlive a server stop by design; a benchmark cleans up after itself.
  const nodes = join(home, 'nodes');
  for (const id of existsSync(nodes) ? readdirSync(nodes) : []) {
    for (const file of ['agent.pid', 'job-pgids']) {
      const path = join(nodes, id, file);
      if (!existsSync(path)) continue;
      for (const pid of readFileSync(path, 'utf8')
        .split('\n')
        .map(Number)
        .filter((n) => n > 1)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }
}

/** Bootstrap admin tokens of the servers started here, by URL. */
const tokens = new Map();

/** Headers that authenticate as the admin of the server at `url`. */
export function authHeaders(url) {
  const token = tokens.get(url);
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** JSON request helper (as the server's admin). */
export async function api(url, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...authHeaders(url), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Percentile of a sorted list of numbers. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Prints rows as an aligned table. */
export function table(rows) {
  const headers = Object.keys(rows[0] ?? {});
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => String(r[h]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
  console.log(line(headers));
  for (const r of rows) console.log(line(headers.map((h) => r[h])));
}
