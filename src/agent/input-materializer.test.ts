import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotManifest } from '../domain/snapshots/manifest.js';
import { linkBinds, materializeInputs, type InputFetcher } from './input-materializer.js';

const bytes = Buffer.from('weights\n');
const sha = createHash('sha256').update(bytes).digest('hex');
const manifest: SnapshotManifest = {
  version: 1,
  entries: [{ path: 'w.bin', kind: 'file', sha256: sha, size: bytes.length, mode: 0o644 }],
};
let server: Server;
let base: string;
const hits = { full: 0, notModified: 0 };

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.headers['if-none-match'] === '"v1"') {
      hits.notModified++;
      res.writeHead(304).end();
      return;
    }
    hits.full++;
    res.writeHead(200, { etag: '"v1"', 'content-type': 'application/octet-stream' }).end('remote bytes');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function fetcher(workDir: string): InputFetcher & { manifests: number } {
  const f = {
    workDir,
    manifests: 0,
    fetchManifest: () => {
      f.manifests++;
      return Promise.resolve(manifest);
    },
    fetchBlob: () => Promise.resolve(bytes),
    log: () => undefined,
  };
  return f;
}

describe('materializeInputs', () => {
  it('downloads a snapshot, and mounts one from a read-only node cache filled once', async () => {
    const work = mkdtempSync(join(tmpdir(), 'inputs-'));
    const f = fetcher(work);
    const id = 'f'.repeat(64);
    const code1 = join(work, 'c1');
    const binds = await materializeInputs(
      [
        { name: 'a', path: 'inputs/a', snapshotId: id, mode: 'download' },
        { name: 'b', path: 'inputs/b', snapshotId: id, mode: 'ro_mount' },
      ],
      code1,
      f,
    );
    expect(readFileSync(join(code1, 'inputs/a/w.bin'), 'utf8')).toBe('weights\n');
    const cache = join(work, 'cache', 'snapshots', id);
    expect(binds).toEqual([{ src: cache, dest: join(code1, 'inputs/b'), readOnly: true }]);
    expect(statSync(join(cache, 'w.bin')).mode & 0o222).toBe(0);
    await materializeInputs(
      [{ name: 'b', path: 'inputs/b', snapshotId: id, mode: 'ro_mount' }],
      join(work, 'c2'),
      f,
    );
    expect(f.manifests).toBe(2); // the second mount reused the cache
  });

  it('without a sandbox, a mount becomes a link to its source', async () => {
    const work = mkdtempSync(join(tmpdir(), 'inputs-'));
    const shared = join(work, 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'x.txt'), 'x');
    const code = join(work, 'code');
    linkBinds(
      await materializeInputs(
        [{ name: 'ro', path: 'inputs/ro', hostPath: shared, mode: 'ro_mount' }],
        code,
        fetcher(work),
      ),
    );
    expect(readlinkSync(join(code, 'inputs/ro'))).toBe(shared);
    expect(readFileSync(join(code, 'inputs/ro/x.txt'), 'utf8')).toBe('x');
  });

  it('binds datastore paths and refuses one the node lacks, naming the input', async () => {
    const work = mkdtempSync(join(tmpdir(), 'inputs-'));
    const shared = join(work, 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'x.txt'), 'x');
    const code = join(work, 'code');
    const binds = await materializeInputs(
      [
        { name: 'ro', path: 'inputs/ro', hostPath: shared, mode: 'ro_mount' },
        { name: 'rw', path: 'inputs/rw', hostPath: shared, mode: 'rw_mount' },
        { name: 'copy', path: 'inputs/copy', hostPath: shared, mode: 'download' },
      ],
      code,
      fetcher(work),
    );
    expect(binds.map((b) => [b.dest, b.readOnly])).toEqual([
      [join(code, 'inputs/ro'), true],
      [join(code, 'inputs/rw'), false],
    ]);
    expect(readFileSync(join(code, 'inputs/copy/x.txt'), 'utf8')).toBe('x');
    await expect(
      materializeInputs(
        [{ name: 'gone', path: 'inputs/gone', hostPath: join(work, 'nope') }],
        code,
        fetcher(work),
      ),
    ).rejects.toThrow(/inputs\.gone: the datastore path .* does not exist on this node/);
  });

  it('downloads a URL once and revalidates it with its ETag afterwards', async () => {
    const work = mkdtempSync(join(tmpdir(), 'inputs-'));
    const input = { name: 'w', path: 'inputs/w/model.bin', url: `${base}/files/model.bin` };
    await materializeInputs([input], join(work, 'c1'), fetcher(work));
    await materializeInputs([{ ...input, mode: 'ro_mount' }], join(work, 'c2'), fetcher(work));
    expect(readFileSync(join(work, 'c1/inputs/w/model.bin'), 'utf8')).toBe('remote bytes');
    expect(hits).toEqual({ full: 1, notModified: 1 });
    await expect(
      materializeInputs(
        [{ name: 'x', path: 'inputs/x/f', url: 'http://127.0.0.1:1/f' }],
        join(work, 'c3'),
        fetcher(work),
      ),
    ).rejects.toThrow(/could not download/);
  });
});
