import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const dist = join(root, 'dist');

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? name === 'studio'
        ? []
        : jsFiles(path)
      : name.endsWith('.js')
        ? [path]
        : [];
  });
}

/** The bare packages a `hangar` command loads, recorded by a loader hook. */
function packagesLoadedBy(args: string[]): string[] {
  const trace = join(mkdtempSync(join(tmpdir(), 'hangar-trace-')), 'trace');
  execFileSync(
    process.execPath,
    [
      '--no-warnings',
      '--loader',
      join(import.meta.dirname, 'trace-loader.mjs'),
      join(dist, 'cli', 'main.js'),
      ...args,
    ],
    { env: { ...process.env, HANGAR_TRACE_FILE: trace }, stdio: 'ignore' },
  );
  return existsSync(trace)
    ? [
        ...new Set(
          readFileSync(trace, 'utf8')
            .split('\n')
            .filter((l) => l),
        ),
      ]
    : [];
}

// npm test builds before it runs the tests, so dist is this tree's build.
describe('what is built', () => {
  it('dist holds no test code (no vitest, no contract suites)', () => {
    const files = jsFiles(dist);
    expect(files.length).toBeGreaterThan(50);
    expect(
      files
        .filter((f) => /from ['"]vitest['"]/.test(readFileSync(f, 'utf8')))
        .map((f) => f.slice(root.length + 1)),
    ).toEqual([]);
  });

  it('`hangar --help` and `hangar agent --help` load neither SQLite nor Hono (server code)', () => {
    for (const args of [['--help'], ['agent', '--help'], ['job', '--help']]) {
      const loaded = packagesLoadedBy(args);
      expect(loaded).toContain('commander');
      expect(loaded.filter((p) => /^(better-sqlite3|hono|@hono\/|pg$|pg-)/.test(p))).toEqual([]);
    }
  });
});
