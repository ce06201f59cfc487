import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder } from '../helpers/job-fixtures.js';
import { tempDir } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });

beforeAll(async () => {
  server = await startServerProcess();
}, 60_000);

afterAll(async () => {
  await server.stop();
});

/** Runs `compute create -f` on a YAML document; answers the CLI's stderr. */
async function createFrom(doc: Record<string, unknown>): Promise<{ code: number | null; stderr: string }> {
  const file = join(tempDir('compute-yaml-'), 'compute.yml');
  writeFileSync(file, stringify(doc));
  return cli(['compute', 'create', '-f', file]);
}

describe('errors name the YAML field the user wrote', () => {
  it('a missing code: folder is named as written, not as a raw ENOENT', async () => {
    const yml = jobFolder({ command: 'true', code: './no-such-src', compute: 'serverless' });
    const r = await cli(['job', 'create', '-f', yml]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("code: './no-such-src' must be a folder next to the job YAML");
    expect(r.stderr).toContain('it does not exist');
    expect(r.stderr).not.toContain('ENOENT');
  });

  it('compute YAML mistakes name the YAML keys, the rule and the value', async () => {
    const counts = await createFrom({
      name: 'yaml-err',
      type: 'amlcompute',
      min_instances: 5,
      max_instances: 2,
    });
    expect(counts.code).not.toBe(0);
    expect(counts.stderr).toContain(
      'min_instances must be ≤ max_instances (2); got 5 (target: min_instances)',
    );
    expect(counts.stderr).not.toContain('properties.properties');

    const size = await createFrom({ name: 'yaml-err', type: 'amlcompute', size: 'Standard_Nope_v9' });
    expect(size.stderr).toContain("size: 'Standard_Nope_v9' is not a VM size");
    expect(size.stderr).toContain('(target: size)');

    const ssh = await createFrom({ name: 'yaml-err', type: 'amlcompute', ssh_public_access_enabled: true });
    expect(ssh.stderr).toContain('ssh_settings needs admin_username');
    expect(ssh.stderr).not.toContain('userAccountCredentials');

    const idle = await createFrom({
      name: 'yaml-err',
      type: 'amlcompute',
      idle_time_before_scale_down: 'soon',
    });
    expect(idle.stderr).toContain(
      'idle_time_before_scale_down: must be a whole number ≥ 0 (seconds); got "soon"',
    );

    const instance = await createFrom({
      name: 'yaml-inst',
      type: 'computeinstance',
      idle_time_before_shutdown_minutes: 2,
    });
    expect(instance.stderr).toContain('idle_time_before_shutdown_minutes');
    expect(instance.stderr).not.toContain('idleTimeBeforeShutdown');
    expect((await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value).toEqual([]);
  });
});
