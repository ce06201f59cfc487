import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { tempDir } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (...args: string[]) => runCli(args, { url: server.url });
const ws = '/api/workspaces/default';

beforeAll(async () => {
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
  await createCluster(server.url, 'cpu-cluster', 1, 1);
}, 120_000);
afterAll(() => server.stop());

/** A file of YAML lines in a fresh folder. */
function yamlFile(name: string, lines: string[]): string {
  const path = join(tempDir(), name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe("Azure ML users' files: what is not built yet says so", () => {
  it.each([
    ['spark', 'Spark jobs', ['entry:', '  file: ./main.py', 'conf:', '  spark.driver.cores: 1']],
    ['parallel', 'Parallel jobs', ['task:', '  type: run_function', 'mini_batch_size: "1"']],
    ['automl', 'AutoML jobs', ['task: classification', 'training_data:', '  path: ./data']],
  ])('refuses a type: %s job with one sentence, by CLI and by REST', async (type, what, body) => {
    const yml = yamlFile('job.yml', [`type: ${type}`, 'compute: azureml:cpu-cluster', ...body]);
    const r = await cli('job', 'create', '-f', yml);
    expect(r.code).toBe(1);
    const sentence = `${what} (type: ${type}) are not supported by Hangar yet; see docs/azure-ml-compatibility.md.`;
    expect(r.stderr).toContain(`ERROR: NotImplemented: ${sentence}`);
    // One sentence, never a list of schema problems.
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/expected|problems/);

    const rest = await api(server.url, 'PUT', `${ws}/jobs/${type}-job`, {
      spec: { type, compute: 'cpu-cluster' },
    });
    expect(rest.status).toBe(501);
    expect(rest.body.error).toMatchObject({ code: 'NotImplemented', message: sentence, target: 'type' });
  });

  it.each([
    ['batch-endpoint', 'Batch endpoints (az ml batch-endpoint) are'],
    ['batch-deployment', 'Batch deployments (az ml batch-deployment) are'],
    ['schedule', 'Schedules (az ml schedule) are'],
    ['registry', 'Registries (az ml registry) are'],
    ['workspace', 'Workspace management (az ml workspace) is'],
  ])('refuses `hangar %s …` with one line and exit code 1', async (group, subject) => {
    for (const args of [
      [group],
      [group, 'create', '-f', 'x.yml', '--name', 'n'],
      [group, 'list', '--help'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toBe(
        `ERROR: NotImplemented: ${subject} not supported by Hangar yet; see docs/azure-ml-compatibility.md.`,
      );
    }
  });

  it('an unknown group exits non-zero without the top-level help', async () => {
    const r = await cli('foo');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unknown command 'foo'");
    expect(r.stdout).not.toContain('Usage:');
  });
});

describe('attach-only kinds', () => {
  it('attaches a synapsespark pool as a record that says it runs no jobs here', async () => {
    const id =
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Synapse/workspaces/syn/bigDataPools/pool1';
    const yml = yamlFile('synapse.yml', ['name: spark-pool', 'type: synapsespark', `resource_id: ${id}`]);
    const r = await cli('compute', 'attach', '-f', yml);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('is not a compute type');
    expect(r.stderr).toContain('WARNING: Not runnable here: Hangar keeps an attached SynapseSpark compute');
    const c = JSON.parse(r.stdout);
    expect(c).toMatchObject({
      type: 'synapsespark',
      resource_id: id,
      provisioning_state: 'Succeeded',
      workspace_name: 'syn',
      pool_name: 'pool1',
      resource_group: 'rg',
    });

    const job = jobFolder({ command: 'echo hi', compute: 'azureml:spark-pool' });
    const refused = await cli('job', 'create', '-f', job);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "JobCannotRun: compute: 'spark-pool' cannot run jobs: Hangar keeps an attached SynapseSpark compute as a record only",
    );

    const bad = yamlFile('bad.yml', ['name: spark-two', 'type: synapsespark']);
    const missing = await cli('compute', 'attach', '-f', bad);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('resource_id: required for type synapsespark');
  });

  it('refuses a virtualmachine attached by Azure resource_id alone, naming address', async () => {
    const id =
      '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1';
    const yml = yamlFile('vm-attach.yml', [
      'name: my-vm',
      'type: virtualmachine',
      `resource_id: ${id}`,
      'ssh_settings:',
      '  admin_username: azureuser',
      '  admin_password: pw',
    ]);
    const r = await cli('compute', 'attach', '-f', yml);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('address: required for type virtualmachine');
    expect(r.stderr).toContain(`cannot look it up from resource_id '${id}'`);
    expect(r.stderr).toContain('add `address: <host name or IP>`');
    expect((await api(server.url, 'GET', `${ws}/computes/my-vm`)).status).toBe(404);
  });
});

describe('a job as Azure ML writes it', () => {
  it("keeps the job's PYTHONPATH (helper appended), creates output folders, names a bad distribution key", async () => {
    const yml = jobFolder(
      {
        command: [
          'test -d ${{outputs.model}} && test -d ${{outputs.logs}}',
          'echo weights > ${{outputs.model}}/model.txt',
          "python3 -c \"import mylib, hangar_log, os; print('PP=' + os.environ['PYTHONPATH']); print(mylib.NAME)\"",
        ].join(' && '),
        compute: 'azureml:cpu-cluster',
        environment_variables: { PYTHONPATH: 'libs' },
        outputs: { model: null, logs: {} },
      },
      { 'libs/mylib.py': "NAME = 'mylib-imported'\n" },
    );
    const r = await runCli(['job', 'create', '-f', yml, '--name', 'az-paths', '--stream'], {
      url: server.url,
    });
    expect(r.stderr).toContain('Completed (exit code 0)');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mylib-imported');
    const pp = /PP=(\S+)/.exec(r.stdout)?.[1] ?? '';
    const parts = pp.split(':');
    expect(parts[0]).toBe('libs');
    expect(parts).toHaveLength(2);
    expect(parts[1]).toMatch(/python$/);
    const job = await waitForEnd(server.url, 'az-paths');
    expect(job.properties.status).toBe('Completed');

    const dist = jobFolder({
      command: 'echo hi',
      compute: 'azureml:cpu-cluster',
      distribution: { type: 'pytorch', process_count: 2 },
    });
    const bad = await cli('job', 'create', '-f', dist);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('distribution.process_count: not a field of a pytorch distribution');
  });
});
