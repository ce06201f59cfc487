import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;

const bytes = Buffer.from('print("hi")\n');
const sha = createHash('sha256').update(bytes).digest('hex');
const file = (path: string, mode = 0o644) => ({ path, kind: 'file', sha256: sha, size: bytes.length, mode });
const link = (path: string, target: string) => ({ path, kind: 'symlink', target });

/** `a/up -> ..`, `a/up/e1 -> ..`, … `e6 -> ..`, then a file below: each entry alone stays inside. */
function chainManifest(): { version: 1; entries: unknown[] } {
  const entries: unknown[] = [link('a/up', '..')];
  let dir = 'a/up';
  for (let i = 1; i <= 6; i++) entries.push(link((dir = `${dir}/e${i}`), '..'));
  entries.push(file(`${dir}/PWNED`));
  return { version: 1, entries };
}

/** Every path under `base` outside `inside`, folders on the way to `inside` aside. */
function writtenOutside(base: string, inside: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const rel = relative(inside, abs);
      if (rel === '' || !rel.startsWith('..')) continue;
      if (lstatSync(abs).isDirectory() && !relative(abs, inside).startsWith('..')) walk(abs);
      else out.push(relative(base, abs));
    }
  };
  walk(base);
  return out;
}

async function putBlob(): Promise<void> {
  const res = await serverFetch(`${server.url}/api/blobs/${sha}`, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(res.status).toBe(204);
}

beforeAll(async () => {
  server = await startServerProcess();
});

afterAll(async () => {
  await server.stop();
});

describe('code snapshots: links and modes (real server, real CLI)', () => {
  it('refuses a chain of links at upload, naming the entry and the link it passes through', async () => {
    for (const path of ['/api/snapshots/validate', '/api/snapshots']) {
      const r = await api(server.url, path.endsWith('validate') ? 'POST' : 'PUT', path, chainManifest());
      expect(r.status).toBe(400);
      expect(Object.keys(r.body)).toEqual(['error']);
      expect(r.body.error).toMatchObject({ code: 'UnsafeArchive', target: 'entries[1].path' });
      expect(r.body.error.message).toContain("path 'a/up/e1' passes through link 'a/up'");
      expect(r.body.error.details).toContainEqual(expect.objectContaining({ target: 'entries[7].path' }));
    }
    const through = await api(server.url, 'PUT', '/api/snapshots', {
      version: 1,
      entries: [link('a/up', '..'), link('a/x', 'up/..')],
    });
    expect(through.status).toBe(400);
    expect(through.body.error).toMatchObject({ code: 'UnsafeArchive', target: 'entries[1].path' });
    expect(through.body.error.message).toContain("through link 'a/up'");
  });

  it('stores and hands back safe modes only: a setuid file comes back 0755', async () => {
    await putBlob();
    const put = await api(server.url, 'PUT', '/api/snapshots', {
      version: 1,
      entries: [file('suid', 0o4777), file('private', 0o600)],
    });
    expect(put.status).toBe(200);
    const got = await api(server.url, 'GET', `/api/snapshots/${put.body.id}`);
    expect(
      Object.fromEntries(got.body.entries.map((e: { path: string; mode: number }) => [e.path, e.mode])),
    ).toEqual({ suid: 0o755, private: 0o644 });
    const same = await api(server.url, 'PUT', '/api/snapshots', {
      version: 1,
      entries: [file('suid', 0o755), file('private', 0o644)],
    });
    expect(same.body.id).toBe(put.body.id);
    const wild = await api(server.url, 'PUT', '/api/snapshots', {
      version: 1,
      entries: [file('x', 0o170000)],
    });
    expect(wild.status).toBe(400);
    expect(wild.body.error).toMatchObject({ code: 'ValidationFailed', target: 'entries[0].mode' });
  });

  it('`hangar job download` of a chain forced into the server store writes nothing outside the download folder', async () => {
    await putBlob();
    const put = await api(server.url, 'PUT', '/api/snapshots', { version: 1, entries: [file('train.py')] });
    expect(put.status).toBe(200);
    const id = put.body.id as string;
    const job = await api(server.url, 'PUT', '/api/workspaces/default/jobs/forged-code', {
      spec: { command: 'true', compute: 'local', code: 'src' },
      codeSnapshotId: id,
    });
    expect(job.status).toBe(201);
    // Past the server's checks: the stored manifest is swapped on disk for the chain.
    writeFileSync(join(server.home, 'blobs', id.slice(0, 2), id.slice(2)), JSON.stringify(chainManifest()));
    // Four folders down, so the chain's landing place (six above `code`) is inside `base`.
    const base = tempDir('hangar-download-');
    const out = join(base, '1', '2', '3', '4');
    mkdirSync(out, { recursive: true });
    const r = await runCli(['job', 'download', '-n', 'forged-code', '--all', '--download-path', out], {
      url: server.url,
    });
    expect(r.stderr).toContain("The snapshot was refused: path 'a/up/e1' passes through link 'a/up'");
    expect(r.code).not.toBe(0);
    expect(writtenOutside(base, out)).toEqual([]);
    expect(existsSync(join(base, 'PWNED'))).toBe(false);
    expect(existsSync(join(out, 'forged-code', 'user_logs', 'std_log.txt'))).toBe(true);
  });
});
