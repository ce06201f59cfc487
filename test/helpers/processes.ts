import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Repo root and the built CLI. */
export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const cliPath = join(repoRoot, 'dist', 'cli', 'main.js');

/** A fresh temp folder. */
export function tempDir(prefix = 'hangar-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Environment for a child the tests start: marked so the leak check can find it (and its children). */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { ...process.env, HANGAR_TEST_CHILD: process.env.HANGAR_TEST_MARK ?? 'unmarked', ...extra };
}

/** Spawns a marked child process. */
export function spawnMarked(
  cmd: string,
  args: string[],
  opts: SpawnOptions & { env?: Record<string, string | undefined> } = {},
): ChildProcess {
  return spawn(cmd, args, { ...opts, env: childEnv(opts.env ?? {}) });
}

/** Waits until `check` returns a value (not undefined/false) or the timeout passes. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves when the child exits (immediately if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}
