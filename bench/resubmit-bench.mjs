// npm run bench:resubmit — registering (snapshotting and uploading) an unchanged 10,000-file,
// 100 MB folder a second time: bytes sent and time, with the client's hash cache, beside
// `sha256sum` over the same files measured in the same run as the baseline.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSnapshot } from '../dist/snapshots/snapshot-builder.js';
import { uploadSnapshot } from '../dist/snapshots/snapshot-client.js';
import { hashCacheFile } from '../dist/snapshots/hash-cache.js';
import { authHeaders, startServer, table } from './bench-server.mjs';

const files = Number(process.env.BENCH_FILES ?? 10_000);
const totalBytes = Number(process.env.BENCH_BYTES ?? 100 * 1024 * 1024);
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const ms = (t) => `${t.toFixed(0)} ms`;

function makeFolder() {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-resubmit-'));
  const size = Math.floor(totalBytes / files);
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) mkdirSync(sub);
    writeFileSync(join(sub, `f${i}.bin`), randomBytes(size));
  }
  return dir;
}

async function register(url, dir, cacheFile) {
  const t0 = performance.now();
  const built = await buildSnapshot(dir, cacheFile ? { hashCacheFile: cacheFile } : {});
  const t1 = performance.now();
  const r = await uploadSnapshot({ url, headers: authHeaders(url) }, built);
  const t2 = performance.now();
  return {
    walkHash: t1 - t0,
    upload: t2 - t1,
    total: t2 - t0,
    sent: r.uploadedBytes,
    blobs: r.uploadedBlobs,
  };
}

async function main() {
  console.log(`Building a folder of ${files} files, ${mb(totalBytes)} of random bytes…`);
  const dir = makeFolder();
  const home = mkdtempSync(join(tmpdir(), 'hangar-resubmit-home-'));
  const cacheFile = hashCacheFile(home, dir);
  await new Promise((r) => setTimeout(r, 200)); // no file is "racily clean" (written within 50 ms of hashing)
  const server = await startServer();
  // The CLI rows on a server and cache of their own, so its first registration is cold too.
  const cliServer = await startServer();
  const cliHome = mkdtempSync(join(tmpdir(), 'hangar-resubmit-cli-home-'));
  try {
    const first = await register(server.url, dir, cacheFile);
    const second = await register(server.url, dir, cacheFile);
    const noCache = await register(server.url, dir, undefined);
    // The user's path: `hangar data create` (process start included), cold then again.
    const cli = (name) => {
      const t = performance.now();
      execFileSync(
        process.execPath,
        [
          resolve(import.meta.dirname, '..', 'dist', 'cli', 'main.js'),
          'data',
          'create',
          '-n',
          name,
          '-p',
          dir,
          '-o',
          'none',
        ],
        {
          env: {
            ...process.env,
            HANGAR_HOME: cliHome,
            HANGAR_URL: cliServer.url,
            HANGAR_TOKEN: cliServer.token,
          },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      return performance.now() - t;
    };
    const cliFirst = cli('bench-data');
    await new Promise((r) => setTimeout(r, 200));
    const cliSeconds = [cli('bench-data'), cli('bench-data'), cli('bench-data')].sort((a, b) => a - b);
    const cliSecond = cliSeconds[1];
    const t0 = performance.now();
    execFileSync('sh', ['-c', 'find . -type f -print0 | xargs -0 sha256sum > /dev/null'], { cwd: dir });
    const sha256sum = performance.now() - t0;
    const row = (name, r) => ({
      case: name,
      'walk+hash': ms(r.walkHash),
      upload: ms(r.upload),
      total: ms(r.total),
      'bytes sent': mb(r.sent),
      'blobs sent': r.blobs,
    });
    console.log(`\nResubmit benchmark: ${files} files, ${mb(totalBytes)}, server ${server.url}`);
    table([
      row('1st registration (empty server)', first),
      row('2nd registration, hash cache', second),
      row('3rd registration, no hash cache', noCache),
      {
        case: '`hangar data create`, cold (CLI process, empty server and cache)',
        'walk+hash': '',
        upload: '',
        total: ms(cliFirst),
        'bytes sent': '',
        'blobs sent': '',
      },
      {
        case: '`hangar data create` again (median of 3)',
        'walk+hash': '',
        upload: '',
        total: ms(cliSecond),
        'bytes sent': '',
        'blobs sent': '',
      },
      {
        case: 'sha256sum over the same files (baseline)',
        'walk+hash': ms(sha256sum),
        upload: '',
        total: ms(sha256sum),
        'bytes sent': '',
        'blobs sent': '',
      },
    ]);
    console.log(
      `\n2nd registration: ${second.sent} bytes sent, ${ms(second.total)} (${(second.total / sha256sum).toFixed(2)}× the time sha256sum takes over the folder; without the cache ${(noCache.total / sha256sum).toFixed(2)}×; as \`hangar data create\` ${ms(cliSecond)}, cold ${ms(cliFirst)}); target: 0 bytes, < 1000 ms through the CLI: ${second.sent === 0 && cliSecond < 1000 ? 'met' : 'NOT met'}.`,
    );
  } finally {
    await server.stop();
    await cliServer.stop();
    rmSync(cliHome, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
