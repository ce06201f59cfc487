import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { adminToken, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (...args: string[]) => runCli(args, { url: server.url });

beforeAll(async () => {
  server = await startServerProcess({
    config: { reconcileIntervalMs: 100, locations: [{ name: 'local' }, { name: 'lab' }] },
  });
}, 60_000);
afterAll(() => server.stop());

describe('hangar compute (built CLI against a real server)', () => {
  it("creates the issue's cluster with az ml flags and waits for it", async () => {
    const r = await cli(
      'compute',
      'create',
      '--name',
      'cpu-cluster',
      '--type',
      'amlcompute',
      '--size',
      'STANDARD_D3_V2',
      '--min-instances',
      '0',
      '--max-instances',
      '4',
      '--idle-time-before-scale-down',
      '120',
      '--tier',
      'low_priority',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('cpu-cluster: Succeeded');
    const c = JSON.parse(r.stdout);
    expect(c).toMatchObject({
      name: 'cpu-cluster',
      type: 'amlcompute',
      size: 'STANDARD_D3_V2',
      tier: 'low_priority',
      min_instances: 0,
      max_instances: 4,
      idle_time_before_scale_down: 120,
    });
  });

  it('creates from az ml v2 YAML; create -f on an existing name updates it and refuses immutable changes', async () => {
    const dir = tempDir();
    const yml = join(dir, 'compute.yml');
    writeFileSync(
      yml,
      [
        '$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json',
        'name: gpu-cluster',
        'type: amlcompute',
        'size: Standard_NC6',
        'min_instances: 0',
        'max_instances: 2',
        'idle_time_before_scale_down: 300',
        'tier: dedicated',
        'tags:',
        '  team: vision',
        '',
      ].join('\n'),
    );
    const created = await cli('compute', 'create', '-f', yml, '-o', 'yaml');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('vm_type: GPU');
    expect(created.stdout).toContain('idle_time_before_scale_down: 300');
    const updated = await cli('compute', 'create', '-f', yml, '--max-instances', '3');
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout).max_instances).toBe(3);
    const immutable = await cli('compute', 'create', '-f', yml, '--set', 'size=Standard_NC12');
    expect(immutable.code).toBe(1);
    expect(immutable.stderr).toContain('ImmutableField');
    writeFileSync(join(dir, 'bad.yml'), 'name: x-cluster\ntype: amlcompute\nmax_nodes: 3\n');
    const unknown = await cli('compute', 'create', '-f', join(dir, 'bad.yml'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('max_nodes');
  });

  it('lists as a table, shows as JSON, updates with flags', async () => {
    const table = await cli('compute', 'list', '-o', 'table');
    expect(table.stdout.split('\n')[0]).toMatch(/^Name\s+Type\s+Location\s+Size\s+State\s+Nodes$/);
    expect(table.stdout).toMatch(/cpu-cluster\s+amlcompute\s+local\s+STANDARD_D3_V2\s+Succeeded/);
    const upd = await cli('compute', 'update', '-n', 'cpu-cluster', '--max-instances', '8');
    expect(upd.code, upd.stderr).toBe(0);
    const show = JSON.parse((await cli('compute', 'show', '-n', 'cpu-cluster', '-o', 'json')).stdout);
    expect(show.max_instances).toBe(8);
    expect(show.name).toBe('cpu-cluster');
    const filtered = JSON.parse((await cli('compute', 'list', '--type', 'computeinstance')).stdout);
    expect(filtered).toEqual([]);
  });

  it('clusters elsewhere print the location warning; bad names fail with the rule', async () => {
    const far = await cli(
      'compute',
      'create',
      '-n',
      'far-cluster',
      '-t',
      'amlcompute',
      '--location',
      'lab',
      '--max-instances',
      '1',
    );
    expect(far.code).toBe(0);
    expect(far.stderr).toMatch(/WARNING: .*latency/);
    const bad = await cli('compute', 'create', '-n', 'gpu-1', '-t', 'amlcompute');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('ERROR: ');
    expect(bad.stderr).toContain('gpu-1');
    expect((await cli('compute', 'create', '-n', 'gpu-a1', '-t', 'amlcompute', '--no-wait')).code).toBe(0);
  });

  it('creates an instance with idle shutdown; start/stop answer clearly', async () => {
    const r = await cli(
      'compute',
      'create',
      '-n',
      'alice-dev',
      '-t',
      'computeinstance',
      '--size',
      'Standard_DS3_v2',
      '--idle-time-before-shutdown-minutes',
      '30',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).idle_time_before_shutdown).toBe('PT30M');
    const tooShort = await cli(
      'compute',
      'create',
      '-n',
      'bob-dev',
      '-t',
      'computeinstance',
      '--idle-time-before-shutdown-minutes',
      '5',
    );
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toMatch(/15 minutes/);
    const start = await cli('compute', 'start', '-n', 'cpu-cluster');
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('OperationNotSupported');
  });

  it('attaches a machine with a key file; the key is never printed by show', async () => {
    const key = join(tempDir(), 'id_ed25519');
    writeFileSync(
      key,
      '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-key-material\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    // The key is not a real key (and nothing listens on 127.0.0.1:1): the attach check fails (exit 1), saying why, and the key stays hidden.
    const r = await cli(
      'compute',
      'attach',
      '-n',
      'gpu-box',
      '-t',
      'virtualmachine',
      '--address',
      '127.0.0.1',
      '--ssh-port',
      '1',
      '--admin-username',
      'azureuser',
      '--ssh-private-key-file',
      key,
    );
    expect(r.code, r.stderr).toBe(1);
    const show = await cli('compute', 'show', '-n', 'gpu-box', '-o', 'yaml');
    expect(show.stdout).toContain('cannot use the credentials for 127.0.0.1:1');
    expect(show.stdout).not.toContain('secret-key-material');
    expect(readFileSync(key, 'utf8')).toContain('secret-key-material');
  });

  it('list-sizes and list-usage show the catalog and usage against quota', async () => {
    const sizes = await cli('compute', 'list-sizes', '-o', 'table');
    expect(sizes.stdout).toMatch(/Standard_NC6\s+standardNCFamily\s+6/);
    expect(sizes.stdout).toContain('Standard_ND40rs_v2');
    const usage = JSON.parse((await cli('compute', 'list-usage')).stdout);
    const ds = usage.find((u: any) => (u.name.value ?? u.name) === 'standardDSv2Family');
    expect(ds.current_value).toBe(4);
  });

  it('delete refuses without --yes when not interactive, deletes with it', async () => {
    const refused = await cli('compute', 'delete', '-n', 'gpu-a1');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    const del = await cli('compute', 'delete', '-n', 'gpu-a1', '--yes');
    expect(del.code, del.stderr).toBe(0);
    expect((await cli('compute', 'show', '-n', 'gpu-a1')).code).toBe(1);
    const detach = await cli('compute', 'detach', '-n', 'gpu-box', '--yes');
    expect(detach.code).toBe(0);
  });

  it('--help works everywhere and configure saves the server URL', async () => {
    for (const args of [
      ['--help'],
      ['compute', '--help'],
      ['compute', 'create', '--help'],
      ['job', 'create', '--help'],
      ['environment', '--help'],
    ]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: hangar');
    }
    const home = tempDir();
    const saved = await runCli(
      ['configure', '--url', server.url, '--token', adminToken(server.url) ?? '', '--workspace', 'default'],
      { env: { HANGAR_HOME: home } },
    );
    expect(saved.code, saved.stderr).toBe(0);
    const viaConfig = await runCli(['compute', 'show', '-n', 'cpu-cluster'], { env: { HANGAR_HOME: home } });
    expect(viaConfig.code, viaConfig.stderr).toBe(0);
  });
});
