import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { ensureTestUser, startSshd, type TestSshd } from '../helpers/sshd.js';

// A hangar_path datastore on a shared folder, used from an attached SSH machine (a real sshd on
// loopback, its own user): the machine reaches the folder through its own mount, as its user,
// which is checked when it is attached and again, path by path, when a job is submitted. The
// server runs as root and sees every folder; the machine's user does not, so a path only the
// server could read is refused at submission rather than discovered by the agent.
const isRoot = process.getuid?.() === 0;
const user = 'hangar-ds';
let server: ServerProcess;
let sshd: TestSshd;
let keyFile = '';
let share = '';
const cli = (...args: string[]) => runCli(args, { url: server.url });

function datastore(name: string, path: string): string {
  const file = join(tempDir(), `${name}.yml`);
  writeFileSync(file, stringify({ name, type: 'hangar_path', path, description: 'a shared folder' }));
  return file;
}

beforeAll(async () => {
  if (!isRoot) return;
  ensureTestUser(user);
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  sshd = await startSshd();
  keyFile = join(tempDir(), 'id');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  sshd.authorize(user, readFileSync(`${keyFile}.pub`, 'utf8'));
  // The share: train/ (the machine's user owns it, so only a read-only mount stops its writes),
  // results/ (written by jobs), private/ (root's alone: the server reads it, the machine cannot).
  share = tempDir('hangar-share-');
  chmodSync(share, 0o755);
  mkdirSync(join(share, 'train', 'sub'), { recursive: true });
  writeFileSync(join(share, 'train', 'a.txt'), 'alpha\n');
  writeFileSync(join(share, 'train', 'sub', 'b.txt'), 'beta\n');
  for (const p of ['train', 'train/a.txt', 'train/sub', 'train/sub/b.txt'])
    chownSync(join(share, p), uid, gid);
  mkdirSync(join(share, 'results'));
  chownSync(join(share, 'results'), uid, gid);
  mkdirSync(join(share, 'private'), { mode: 0o700 });
  writeFileSync(join(share, 'private', 'secret.txt'), 'root only\n');
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
}, 60_000);

afterAll(async () => {
  if (!isRoot) return;
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/ds-box?underlyingResourceAction=Detach');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/ds-box')).status === 404,
    'ds-box to go',
    30_000,
  ).catch(() => undefined);
  await server.stop();
  await sshd.stop();
  execFileSync('bash', ['-c', `pkill -KILL -u ${user} || true`]);
}, 60_000);

describe.runIf(isRoot)('a datastore on a shared folder, used from an SSH machine', () => {
  it('checks at attach which datastores the machine reaches through its mount', async () => {
    // Created before the machine is attached: the server reads both folders.
    expect((await cli('datastore', 'create', '-f', datastore('shared', share))).code).toBe(0);
    const closed = await cli('datastore', 'create', '-f', datastore('closed', join(share, 'private')));
    expect(closed.code, closed.stderr).toBe(0);
    const r = await cli(
      'compute',
      'attach',
      '--type',
      'virtualmachine',
      '--name',
      'ds-box',
      '--address',
      '127.0.0.1',
      '--ssh-port',
      String(sshd.port),
      '--admin-username',
      user,
      '--ssh-private-key-file',
      keyFile,
    );
    expect(r.code, r.stderr).toBe(0);
    const c = await waitFor(
      async () => {
        const body = (await api(server.url, 'GET', '/api/workspaces/default/computes/ds-box')).body;
        return ['Succeeded', 'Failed'].includes(body.properties.provisioningState) ? body : undefined;
      },
      'ds-box to settle',
      30_000,
      100,
    );
    expect(c.properties.provisioningState, JSON.stringify(c.properties.provisioningErrors)).toBe('Succeeded');
    expect(c.properties.properties.datastores.shared).toBe('reachable');
    expect(c.properties.properties.datastores.closed).toBe(
      `not reachable: user '${user}' may not read ${join(share, 'private')} on the machine`,
    );
    const events = (await api(server.url, 'GET', '/api/workspaces/default/computes/ds-box/events')).body;
    expect(JSON.stringify(events)).toContain("datastore 'closed'");
    expect(JSON.stringify(events)).not.toContain("datastore 'shared'");
  }, 60_000);

  it('runs a job there reading the datastore read-only and writing its output into it', async () => {
    const job = jobFolder({
      compute: 'ds-box',
      command: [
        'cat ${{inputs.train}}/a.txt ${{inputs.train}}/sub/b.txt',
        '(echo x > ${{inputs.train}}/new.txt) 2>/dev/null && echo input-writable || echo input-read-only',
        'cp -r ${{inputs.train}}/sub ${{outputs.result}}/copied',
        'whoami > ${{outputs.result}}/who.txt',
      ].join('; '),
      inputs: {
        train: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/train', mode: 'ro_mount' },
      },
      outputs: {
        result: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/results', mode: 'rw_mount' },
      },
    });
    const run = await cli('job', 'create', '-f', job, '--name', 'ds-job', '--stream');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('alpha\nbeta\n');
    expect(run.stdout).toContain('input-read-only');
    expect((await waitForEnd(server.url, 'ds-job')).properties.status).toBe('Completed');
    // Written in place, on the share itself, by the machine's user.
    expect(readFileSync(join(share, 'results', 'who.txt'), 'utf8')).toBe(`${user}\n`);
    expect(readFileSync(join(share, 'results', 'copied', 'b.txt'), 'utf8')).toBe('beta\n');
    expect(readdirSync(join(share, 'train')).sort()).toEqual(['a.txt', 'sub']);
  }, 120_000);

  it('refuses at submission, naming the input or output, a path the machine cannot reach or write', async () => {
    const submit = async (name: string, spec: Record<string, unknown>) => {
      const r = await cli('job', 'create', '-f', jobFolder({ compute: 'ds-box', command: 'true', ...spec }));
      expect(r.code).not.toBe(0);
      // Nothing was queued for the agent to discover.
      expect((await api(server.url, 'GET', `/api/workspaces/default/jobs/${name}`)).status).toBe(404);
      return r.stderr;
    };
    const unreachable = await submit('ds-private', {
      name: 'ds-private',
      inputs: {
        p: { type: 'uri_folder', path: 'azureml://datastores/shared/paths/private', mode: 'ro_mount' },
      },
    });
    expect(unreachable).toContain(
      `inputs.p.path: 'azureml://datastores/shared/paths/private' is ${join(share, 'private')}, which compute 'ds-box' (an SSH machine, as user '${user}') may not read.`,
    );
    const file = await submit('ds-file', {
      name: 'ds-file',
      inputs: { f: { type: 'uri_file', path: 'azureml://datastores/closed/paths/secret.txt' } },
    });
    expect(file).toContain(
      `inputs.f.path: 'azureml://datastores/closed/paths/secret.txt' is ${join(share, 'private', 'secret.txt')}, which compute 'ds-box' (an SSH machine, as user '${user}') cannot reach (it does not exist there, or a folder on the way is closed to its user)`,
    );
    const notWritable = await submit('ds-ro', {
      name: 'ds-ro',
      inputs: { s: { type: 'uri_folder', path: 'azureml://datastores/shared/paths', mode: 'rw_mount' } },
    });
    expect(notWritable).toContain(
      `inputs.s.path: 'azureml://datastores/shared/paths' is ${share}, which compute 'ds-box' (an SSH machine, as user '${user}') may not write (mode: rw_mount)`,
    );
    const output = await submit('ds-out', {
      name: 'ds-out',
      outputs: { o: { type: 'uri_folder', path: 'azureml://datastores/closed/paths', mode: 'rw_mount' } },
    });
    expect(output).toContain(
      `outputs.o.path: 'azureml://datastores/closed/paths' is ${join(share, 'private')}, which compute 'ds-box' (an SSH machine, as user '${user}') may not read.`,
    );
  }, 60_000);
});
