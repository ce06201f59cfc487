import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentContext, PreparedEnvironment } from './prepare-environment.js';

/** Builds in progress in this agent, by hash: a second job with the same spec waits for the first. */
const building = new Map<string, Promise<void>>();

function run(
  file: string,
  args: string[],
  dir: string,
  ctx: EnvironmentContext,
): Promise<{ code: number; tail: string[] }> {
  const log = ctx.log;
  const isolated = ctx.isolate?.(file, args, dir);
  return new Promise((resolve, reject) => {
    const child = isolated
      ? spawn(isolated.file, isolated.args, {
          cwd: dir,
          env: isolated.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const onData = (b: Buffer): void => {
      for (const line of b.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        log(line);
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, tail }));
  });
}

function pipArgs(ctx: EnvironmentContext): string[] {
  if (ctx.pipIndexUrl) return ['--index-url', ctx.pipIndexUrl];
  if (ctx.pipFindLinks) return ['--no-index', '--find-links', ctx.pipFindLinks];
  return [];
}

async function build(dir: string, requirements: string[], ctx: EnvironmentContext): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  ctx.log(`building venv ${dir} with ${ctx.defaultPython}`);
  // System site packages keep the node's own packages (e.g. Debian's numpy) visible under the requirements.
  const reqFile = join(dir, 'requirements.txt');
  writeFileSync(reqFile, `${requirements.join('\n')}\n`);
  const venv = await run(ctx.defaultPython, ['-m', 'venv', '--system-site-packages', dir], dir, ctx);
  if (venv.code !== 0) throw new Error(`creating the venv failed:\n${venv.tail.join('\n')}`);
  if (requirements.length > 0) {
    const pip = await run(
      join(dir, 'bin', 'python'),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', ...pipArgs(ctx), '-r', reqFile],
      dir,
      ctx,
    );
    if (pip.code !== 0)
      throw new Error(`pip install failed (exit ${pip.code}):\n${pip.tail.slice(-12).join('\n')}`);
  }
  // Created, never opened through a link the build may have left there (the build ran as the job user).
  writeFileSync(join(dir, '.hangar-ready'), new Date().toISOString(), { flag: 'wx' });
}

/**
 * A venv for pip requirements, built once per node per spec hash (interpreter, requirements, pip
 * sources) and reused; its build log goes to the attempt's system log.
 */
export async function pipVenv(requirements: string[], ctx: EnvironmentContext): Promise<PreparedEnvironment> {
  const reqs = requirements.map((r) => r.trim()).filter((r) => r !== '' && !r.startsWith('#'));
  const hash = createHash('sha256')
    .update(JSON.stringify([ctx.defaultPython, reqs, pipArgs(ctx)]))
    .digest('hex')
    .slice(0, 24);
  const dir = join(ctx.workDir, 'envs', hash);
  if (existsSync(join(dir, '.hangar-ready')))
    ctx.log(`reusing venv ${dir} (built before for the same requirements)`);
  else {
    let pending = building.get(hash);
    if (!pending) {
      pending = build(dir, reqs, ctx).finally(() => building.delete(hash));
      building.set(hash, pending);
    } else ctx.log(`waiting for the build of venv ${dir} started by another job`);
    await pending;
  }
  return { env: { VIRTUAL_ENV: dir }, pathPrefix: [join(dir, 'bin')] };
}
