import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HangarError } from '../../src/domain/errors/hangar-error.js';
import { LogStore } from '../../src/server/jobs/log-store.js';
import { cliPath, childEnv, tempDir } from '../helpers/processes.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

/**
 * A full disk answers 507 InsufficientStorage naming what could not be stored, and a server on a
 * read-only folder refuses to start with one line naming the path and the error. Real file
 * systems: small and read-only tmpfs mounts (needs root, as in the project's test machines).
 */

const isRoot = process.getuid?.() === 0;
const mounts: string[] = [];

function mountTmpfs(options: string): string {
  const dir = tempDir('hangar-mount-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

const freeBytes = (dir: string): number => {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
};

/** Fills the file system holding `dir` (to the last byte it takes). */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const chunk = Buffer.alloc(64 * 1024);
  rmSync(file, { force: true });
  for (let size = chunk.length; ;) {
    try {
      writeFileSync(file, chunk.subarray(0, size), { flag: 'a' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      if (size === 1) break;
      size = Math.max(1, Math.floor(size / 2));
    }
  }
  return file;
}

let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.stop();
  for (const dir of mounts.reverse()) spawnSync('umount', ['-l', dir]);
});

describe.runIf(isRoot)('a full disk', () => {
  let home: string;

  beforeAll(async () => {
    home = mountTmpfs('size=4m,mode=0700');
    server = await startServerProcess({ home });
  }, 60_000);

  it('answers an upload bigger than the space left with 507 naming the blob, and keeps serving', async () => {
    const bytes = randomBytes(freeBytes(home) + 1024 * 1024);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const res = await serverFetch(`${server!.url}/api/blobs/${sha}`, { method: 'PUT', body: bytes });
    expect(res.status).toBe(507);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe('InsufficientStorage');
    expect(body.error.message).toContain(`blob ${sha}`);
    expect(body.error.message).toContain('ENOSPC');
    expect(body.error.target).toBe('sha256');
    // Nothing half-written is left behind, and a blob that fits is stored.
    const small = Buffer.from('fits');
    const smallSha = createHash('sha256').update(small).digest('hex');
    expect(
      (await serverFetch(`${server!.url}/api/blobs/${smallSha}`, { method: 'PUT', body: small })).status,
    ).toBe(204);
    expect(
      (await api(server!.url, 'POST', '/api/blobs/missing', { hashes: [sha, smallSha] })).body.missing,
    ).toEqual([sha]);
  });

  it('answers database writes on a full disk with 507, and recovers once there is room', async () => {
    const filler = fill(home);
    const statuses: number[] = [];
    let refusal: any;
    for (let i = 0; i < 300 && !refusal; i++) {
      const r = await api(server!.url, 'PUT', `/api/workspaces/full-${i}`, {
        location: 'local',
        description: 'x'.repeat(2000),
        tags: Object.fromEntries(Array.from({ length: 20 }, (_, t) => [`t${t}`, 'y'.repeat(200)])),
      });
      statuses.push(r.status);
      if (r.status === 507) refusal = r.body;
    }
    expect(statuses.filter((s) => s !== 200 && s !== 201 && s !== 507)).toEqual([]);
    expect(refusal?.error.code).toBe('InsufficientStorage');
    expect(refusal.error.message).toMatch(/database|hangar\.db/);
    rmSync(filler);
    const again = await api(server!.url, 'PUT', '/api/workspaces/after-full', { location: 'local' });
    expect(again.status, JSON.stringify(again.body)).toBeLessThan(300);
    expect((await fetch(`${server!.url}/api/health`)).status).toBe(200);
    expect(server!.output()).not.toContain('unexpected error');
  });

  it('refuses a log append on a full disk with InsufficientStorage naming the log, and takes the resend once there is room', () => {
    const dir = join(home, 'log-store-test');
    mkdirSync(dir);
    const logs = new LogStore(dir);
    logs.append('ws~job', 1, 'user_logs/std_log.txt', 0, Buffer.from('start\n'));
    const filler = fill(home);
    let err: unknown;
    try {
      logs.append('ws~job', 1, 'user_logs/std_log.txt', 6, randomBytes(256 * 1024));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HangarError);
    expect((err as HangarError).code).toBe('InsufficientStorage');
    expect((err as HangarError).status).toBe(507);
    expect((err as HangarError).message).toContain('user_logs/std_log.txt');
    expect((err as HangarError).message).toContain('ws~job');
    rmSync(filler);
    const chunk = Buffer.from('resent\n');
    expect(
      logs.append(
        'ws~job',
        1,
        'user_logs/std_log.txt',
        logs.length('ws~job', 1, 'user_logs/std_log.txt'),
        chunk,
      ),
    ).toBeGreaterThan(6);
    rmSync(dir, { recursive: true });
  });
});

describe.runIf(isRoot)('a read-only data folder', () => {
  const start = (home: string) =>
    spawnSync(process.execPath, [cliPath, 'server', '--port', '0', '--home', home], {
      env: childEnv({ HANGAR_HOME: home }),
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('stops the server at once with one line naming the path and the error, and exit code 73', () => {
    const ro = mountTmpfs('size=1m,ro');
    for (const [home, named] of [
      [ro, ro],
      [join(ro, 'not-yet'), ro],
    ] as const) {
      const run = start(home);
      expect(run.status, run.stderr).toBe(73);
      const lines = run.stderr.trim().split('\n');
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toContain(named);
      expect(lines[0]).toContain('EROFS: read-only file system');
      expect(lines[0]).not.toMatch(/^\s+at /m);
    }
  });
});
