import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { cliPath, exited, spawnMarked, tempDir, waitFor } from './processes.js';

/** A real `hangar server` process on a temp HANGAR_HOME. */
export interface ServerProcess {
  url: string;
  home: string;
  child: ChildProcess;
  /** Output so far (stdout + stderr), for diagnosing failures. */
  output(): string;
  /** SIGTERM and wait; then kills the node agents it started (they outlive servers by design). */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill9(): Promise<void>;
}

/** Starts a server on a free port; `config` is written to HOME/config.yaml first. */
export async function startServerProcess(
  opts: { home?: string; port?: number; config?: Record<string, unknown>; env?: Record<string, string> } = {},
): Promise<ServerProcess> {
  const home = opts.home ?? tempDir('hangar-home-');
  if (opts.config) writeFileSync(join(home, 'config.yaml'), stringify(opts.config));
  const info = join(home, 'server.json');
  rmSync(info, { force: true });
  const child = spawnMarked(
    process.execPath,
    [cliPath, 'server', '--port', String(opts.port ?? 0), '--home', home],
    { env: { HANGAR_HOME: home, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
    if (!existsSync(info) || !out.includes('listening')) return undefined;
    return (JSON.parse(readFileSync(info, 'utf8')) as { url: string }).url;
  }, 'the server to listen');
  const creds = join(home, 'admin-credentials.json');
  if (existsSync(creds))
    tokens.set(url, (JSON.parse(readFileSync(creds, 'utf8')) as { token: string }).token);
  return {
    url,
    home,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited(child);
      killNodes(home);
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited(child);
    },
  };
}

/** SIGKILLs every agent (process group) and recorded job process group under HOME/nodes. */
export function killNodes(home: string): void {
  const nodes = join(home, 'nodes');
  if (!existsSync(nodes)) return;
  for (const node of readdirSync(nodes)) {
    for (const file of ['agent.pid', 'job-pgids']) {
      const path = join(nodes, node, file);
      if (!existsSync(path)) continue;
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        const pid = Number(line.trim());
        if (!Number.isInteger(pid) || pid <= 1) continue;
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
  }
}

/** The bootstrap admin's token of each server started here, by URL. */
const tokens = new Map<string, string>();

/** The admin token of the server at `url` (started by startServerProcess). */
export function adminToken(url: string): string | undefined {
  for (const [base, token] of tokens) if (url.startsWith(base)) return token;
  return undefined;
}

/** fetch with the server's admin token (tests act as the bootstrap admin unless they say otherwise). */
export function serverFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const token = adminToken(url);
  const headers = new Headers(init.headers);
  if (token && !headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
  return fetch(url, { ...init, headers });
}

/** JSON over HTTP to a server as its admin (or with `token`); returns status and parsed body. */
export async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: any }> {
  const auth = token ?? adminToken(url);
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
