import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { api } from './server-process.js';
import { tempDir, waitFor } from './processes.js';

/** Writes a job folder: `job.yml` (the given spec) and `src/` with the given files; returns the YAML path. */
export function jobFolder(spec: Record<string, unknown>, files: Record<string, string> = {}): string {
  const dir = tempDir('hangar-job-');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, 'src', path, '..'), { recursive: true });
    writeFileSync(join(dir, 'src', path), text);
  }
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'job.yml'), stringify({ code: './src', ...spec }));
  return join(dir, 'job.yml');
}

/** Builds a tiny wheel (`tinypkg`, VALUE = 42) into a fresh folder with Debian's pip, offline. */
export function buildTinyWheel(): string {
  const dir = tempDir('hangar-wheels-');
  const pkg = join(dir, 'src', 'tinypkg');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(dir, 'src', 'setup.py'),
    'from setuptools import setup\nsetup(name="tinypkg", version="0.1", packages=["tinypkg"])\n',
  );
  writeFileSync(join(pkg, '__init__.py'), 'VALUE = 42\n');
  execFileSync(
    '/usr/bin/python3',
    [
      '-m',
      'pip',
      'wheel',
      '--no-index',
      '--no-deps',
      '--no-build-isolation',
      '-q',
      '-w',
      join(dir, 'wheels'),
      join(dir, 'src'),
    ],
    { stdio: 'ignore' },
  );
  // Environment builds run as the job user (under a root agent): the wheel folder must be readable by it.
  chmodSync(dir, 0o755);
  return join(dir, 'wheels');
}

/** Polls a job until `done(job)`; returns the job resource. */
export function waitForJob(
  url: string,
  name: string,
  done: (job: any) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<any> {
  return waitFor(
    async () => {
      const r = await api(url, 'GET', `/api/workspaces/default/jobs/${name}`);
      return r.status === 200 && done(r.body) ? r.body : undefined;
    },
    `job ${name} ${what}`,
    timeoutMs,
    100,
  );
}

/** Waits for a terminal status. */
export function waitForEnd(url: string, name: string, timeoutMs = 60_000): Promise<any> {
  return waitForJob(
    url,
    name,
    (j) => ['Completed', 'Failed', 'Canceled'].includes(j.properties.status),
    'to end',
    timeoutMs,
  );
}

/** Whether a process is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Creates a cluster through the API and waits for it. */
export async function createCluster(url: string, name: string, min: number, max: number): Promise<void> {
  const r = await api(url, 'PUT', `/api/workspaces/default/computes/${name}`, {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize: 'STANDARD_D2_V2',
        scaleSettings: { minNodeCount: min, maxNodeCount: max, nodeIdleTimeBeforeScaleDown: 'PT600S' },
      },
    },
  });
  if (r.status >= 300) throw new Error(JSON.stringify(r.body));
  await waitFor(
    async () =>
      (await api(url, 'GET', `/api/workspaces/default/computes/${name}`)).body.properties
        .provisioningState === 'Succeeded',
    'the cluster',
  );
}

export { stringify };
