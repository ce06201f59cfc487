import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSandbox, lookupUser } from './sandbox.js';

// Real bubblewrap (Debian's bwrap), real namespaces: what a wrapped command can see.
const asRoot = process.getuid?.() === 0;
const path = '/usr/local/bin:/usr/bin:/bin';

function layout(): { home: string; attempt: string; envs: string } {
  const home = mkdtempSync(join(tmpdir(), 'hangar-sbx-unit-'));
  const attempt = join(home, 'nodes', 'n1', 'jobs', 'j', '1');
  const envs = join(home, 'nodes', 'n1', 'envs');
  mkdirSync(attempt, { recursive: true });
  mkdirSync(envs, { recursive: true });
  writeFileSync(join(home, 'secret.key'), 'top secret', { mode: 0o600 });
  writeFileSync(join(envs, 'tool'), 'env file');
  chmodSync(attempt, 0o777);
  return { home, attempt, envs };
}

function run(
  sandbox: ReturnType<typeof createSandbox>,
  script: string,
  l: ReturnType<typeof layout>,
): { code: number | null; out: string } {
  const c = sandbox.wrap('/bin/bash', ['-c', script], {
    readWrite: [l.attempt],
    readOnly: [l.envs],
    cwd: l.attempt,
  });
  const r = spawnSync(c.file, c.args, { encoding: 'utf8', env: { PATH: path } });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('the job sandbox (bubblewrap)', () => {
  it('hides the protected folder but the attempt and the environments, and shows only its own processes', () => {
    const l = layout();
    const sandbox = createSandbox({ protect: [l.home], path });
    expect(sandbox).toMatchObject({ kind: 'bubblewrap' });
    expect(sandbox.problem).toBeUndefined();
    const r = run(
      sandbox,
      `cat ${l.home}/secret.key; echo "secret=$?"; cat ${l.envs}/tool; echo; touch ${l.attempt}/written && echo wrote; echo "pwd=$PWD"; echo "pids=$(ls /proc | grep -cE '^[0-9]+$')"; echo "id=$(id -u)"`,
      l,
    );
    expect(r.out).not.toContain('top secret');
    expect(r.out).toMatch(/secret=1/);
    expect(r.out).toContain('env file');
    expect(r.out).toContain('wrote');
    expect(r.out).toContain(`pwd=${l.attempt}`);
    expect(Number(/pids=(\d+)/.exec(r.out)?.[1])).toBeLessThanOrEqual(6);
    if (asRoot) expect(r.out).not.toContain('id=0');
  });

  it.runIf(asRoot)(
    'a root agent runs jobs as the job user, who passes through the hidden folders to its own',
    () => {
      const l = layout();
      const sandbox = createSandbox({ protect: [l.home], path });
      const expected = lookupUser('hangar-job') ?? lookupUser('nobody');
      expect(sandbox.user).toEqual(expected);
      const r = run(
        sandbox,
        `id -un; ls ${l.attempt} >/dev/null && echo listed; cat /proc/1/environ >/dev/null 2>&1 || echo "init hidden"`,
        l,
      );
      expect(r.out).toContain(expected?.name ?? '?');
      expect(r.out).toContain('listed');
      expect(r.out).toContain('init hidden');
    },
  );

  it.runIf(asRoot)(
    'a job user reaches its folders under a home it cannot pass through (a root agent with HANGAR_HOME in /root)',
    () => {
      // The server's home inside a 0700 folder of root's, as ~/.hangar is in /root; only the home is protected.
      const owner = mkdtempSync(join(tmpdir(), 'hangar-sbx-root-'));
      chmodSync(owner, 0o700);
      writeFileSync(join(owner, 'notes.txt'), 'root only', { mode: 0o644 });
      const home = join(owner, '.hangar');
      const attempt = join(home, 'nodes', 'n1', 'jobs', 'j', '1');
      const envs = join(home, 'nodes', 'n1', 'envs');
      mkdirSync(attempt, { recursive: true });
      mkdirSync(envs, { recursive: true });
      chmodSync(attempt, 0o777);
      writeFileSync(join(envs, 'tool'), 'env file', { mode: 0o644 });
      writeFileSync(join(home, 'secret.key'), 'top secret', { mode: 0o600 });
      const sandbox = createSandbox({ protect: [home], path });
      const r = run(
        sandbox,
        `cat ${envs}/tool; echo; touch ${attempt}/written && echo wrote; cat ${home}/secret.key; echo "secret=$?"; cat ${owner}/notes.txt; echo "notes=$?"`,
        { home, attempt, envs },
      );
      expect(r.out).toContain('env file');
      expect(r.out).toContain('wrote');
      expect(r.out).toMatch(/secret=1/);
      expect(r.out).not.toContain('top secret');
      // What the job user could not reach before stays out of reach.
      expect(r.out).toMatch(/notes=1/);
      expect(r.out).not.toContain('root only');
    },
  );

  it('refuses without bubblewrap, saying how to install it, unless the operator chose insecureNoSandbox', () => {
    const l = layout();
    const refusing = createSandbox({ protect: [l.home], path: '/nonexistent' });
    expect(refusing.kind).toBe('none');
    expect(refusing.problem).toContain('apt-get install bubblewrap');
    expect(refusing.problem).toContain('insecureNoSandbox');
    const insecure = createSandbox({ protect: [l.home], path: '/nonexistent', insecureNoSandbox: true });
    expect(insecure).toMatchObject({ kind: 'none' });
    expect(insecure.problem).toBeUndefined();
  });

  it.runIf(asRoot)('refuses a job user that does not exist, naming it', () => {
    const sandbox = createSandbox({ protect: [], path, jobUser: 'no-such-user-hangar' });
    expect(sandbox.problem).toContain("the job user 'no-such-user-hangar'");
    expect(sandbox.problem).toContain('useradd');
  });
});
