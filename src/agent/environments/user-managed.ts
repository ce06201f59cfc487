import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentContext, PreparedEnvironment } from './prepare-environment.js';

/**
 * The node's own interpreter: a folder of `python`/`python3` links to it goes first on PATH, so
 * commands written for any Python (`python train.py`) run the chosen one.
 */
export function userManaged(python: string, ctx: EnvironmentContext): Promise<PreparedEnvironment> {
  const dir = join(ctx.workDir, 'shims', createHash('sha256').update(python).digest('hex').slice(0, 16));
  mkdirSync(dir, { recursive: true });
  for (const name of ['python', 'python3']) {
    if (!existsSync(join(dir, name))) symlinkSync(python, join(dir, name));
  }
  ctx.log(`user-managed environment: python is ${python}`);
  return Promise.resolve({ env: {}, pathPrefix: [dir] });
}
