import { execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { exited, spawnMarked, tempDir, waitFor } from './processes.js';

/** Debian's PostgreSQL 15 (scripts/install-debian-deps.sh installs the `postgresql` package). */
export const postgresBin = '/usr/lib/postgresql/15/bin';

/** Whether PostgreSQL's server binaries are installed here. */
export const postgresAvailable = existsSync(join(postgresBin, 'postgres'));

/** A throwaway PostgreSQL server: a fresh cluster in a temp folder, on a free loopback port. */
export interface PostgresServer {
  /** postgres://hangar@127.0.0.1:PORT/postgres (trust auth on loopback; no password). */
  url: string;
  port: number;
  /** A new, empty database on this server, and its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * PostgreSQL refuses to run as root: as root, the cluster's folder goes to the `postgres` user (the
 * Debian package creates it) and the binaries run under it through setpriv, which execs in place
 * (no extra process between us and postgres, so signals reach it).
 */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [cmd, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args]];
}

function ownByPostgres(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  chownSync(dir, uid, gid);
}

let databases = 0;

/** Starts PostgreSQL (initdb, then postgres in the foreground); call `stop()` in teardown. */
export async function startPostgres(): Promise<PostgresServer> {
  const root = tempDir('hangar-pg-');
  ownByPostgres(root);
  const data = join(root, 'data');
  const socketDir = join(root, 'sock');
  const [initCmd, initArgs] = asPostgres(join(postgresBin, 'initdb'), [
    '-D',
    data,
    '-U',
    'hangar',
    '--auth=trust',
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  mkdirSync(socketDir);
  ownByPostgres(socketDir);
  const port = await freePort();
  const [cmd, args] = asPostgres(join(postgresBin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    socketDir,
    '-c',
    'listen_addresses=127.0.0.1',
    // A test database: durability across power loss is not what these tests check.
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=200',
  ]);
  const child: ChildProcess = spawnMarked(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `postgres://hangar@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    // SIGINT: PostgreSQL's fast shutdown (rolls back sessions, closes cleanly).
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await exited(child);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${out}`);
        const c = new pg.Client({ connectionString: url });
        try {
          await c.connect();
          await c.query('SELECT 1');
          return true;
        } catch {
          return false;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      'PostgreSQL to accept connections',
      30_000,
      100,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    port,
    async createDatabase(name = `hangar_${process.pid}_${++databases}`) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}"`);
      } finally {
        await c.end();
      }
      return `postgres://hangar@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}
