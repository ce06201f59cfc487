import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/processes.js';
import { runCli, type CliResult } from '../helpers/run-cli.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// Issue 24: the v1 lines (`az ml computetarget …`, `az ml run submit-script`, `az ml folder
// attach`) Azure ML's compute documentation still shows, with `az ml` replaced by `hangar`, run
// verbatim by the built CLI against a real server; what they did is checked through the v2
// commands. The server's operator declares westus2 an alias of its one location, `local`.
let server: ServerProcess;
const hangar = (line: string, cwd?: string): Promise<CliResult> =>
  runCli(words(line), { url: server.url, ...(cwd ? { cwd } : {}) });
const v2 = async (...args: string[]): Promise<any> => {
  const r = await runCli([...args, '-o', 'json'], { url: server.url });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};
const ARM_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/ml-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/trainer';

/** Splits a documentation line into argv as a shell would (single and double quotes). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out.slice(out[0] === 'hangar' ? 1 : 0);
}

/** The JSON document a command printed last (after a run's streamed log). */
function lastJson(stdout: string): any {
  const at = stdout.lastIndexOf('\n{\n');
  return JSON.parse(at >= 0 ? stdout.slice(at + 1) : stdout);
}

beforeAll(async () => {
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300 },
      locationAliases: { westus2: 'local' },
    },
  });
}, 60_000);
afterAll(() => server.stop(), 60_000);

describe('hangar computetarget: the v1 compute lines, verbatim', () => {
  it('creates a cluster in westus2, which the operator aliased to local; v1 prints its summary', async () => {
    const r = await hangar(
      'hangar computetarget create amlcompute -n cpu --min-nodes 1 --max-nodes 1 -s STANDARD_D3_V2 --location westus2',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      location: 'local',
      name: 'cpu',
      provisioningErrors: null,
      provisioningState: 'Succeeded',
    });
    const c = await v2('compute', 'show', '-n', 'cpu');
    expect(c).toMatchObject({
      type: 'amlcompute',
      location: 'local',
      provisioning_state: 'Succeeded',
      size: 'STANDARD_D3_V2',
      tier: 'dedicated',
      min_instances: 1,
      max_instances: 1,
    });
    // The alias is the server's, not the CLI's: the v2 commands and the locations API take it too.
    const far = await runCli(
      [
        'compute',
        'create',
        '-n',
        'west-cluster',
        '-t',
        'amlcompute',
        '--location',
        'westus2',
        '--max-instances',
        '1',
      ],
      { url: server.url },
    );
    expect(far.code, far.stderr).toBe(0);
    expect(JSON.parse(far.stdout).location).toBe('local');
    const sizes = await v2('compute', 'list-sizes', '-l', 'westus2');
    expect(sizes.map((s: any) => s.name)).toContain('Standard_D3_v2');
  }, 120_000);

  it('creates a low-priority cluster: --vm-priority lowpriority is the v2 tier low_priority', async () => {
    const r = await hangar(
      'hangar computetarget create amlcompute --name lowpriocluster --vm-size Standard_NC6 --max-nodes 5 --vm-priority lowpriority',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(await v2('compute', 'show', '-n', 'lowpriocluster')).toMatchObject({
      size: 'Standard_NC6',
      tier: 'low_priority',
      vm_type: 'GPU',
      min_instances: 0,
      max_instances: 5,
    });
  });

  it('gives a cluster a system-assigned identity, then a user-assigned one, then both; removes them', async () => {
    const system = await hangar(
      "hangar computetarget create amlcompute --name cpu-cluster --vm-size Standard_NC6 --max-nodes 5 --assign-identity '[system]'",
    );
    expect(system.code, system.stderr).toBe(0);
    const first = (await v2('compute', 'show', '-n', 'cpu-cluster')).identity;
    expect(first.type).toBe('system_assigned');
    expect(first.principal_id).toMatch(/^mi-/);
    // The documentation's second line names a user-assigned identity's ARM id (its placeholder filled in).
    const user = await hangar(
      `hangar computetarget create amlcompute --name cpu-cluster --vm-size Standard_NC6 --max-nodes 5 --assign-identity '${ARM_ID}'`,
    );
    expect(user.code, user.stderr).toBe(0);
    const second = (await v2('compute', 'show', '-n', 'cpu-cluster')).identity;
    expect(second.type).toBe('user_assigned');
    expect(second.user_assigned_identities.map((u: any) => u.resource_id)).toEqual([ARM_ID]);
    const assign = await hangar(
      "hangar computetarget amlcompute identity assign --name cpu-cluster '[system]'",
    );
    expect(assign.code, assign.stderr).toBe(0);
    expect(JSON.parse(assign.stdout).type).toBe('SystemAssigned,UserAssigned');
    const both = (await v2('compute', 'show', '-n', 'cpu-cluster')).identity;
    expect(both.type).toBe('system_assigned,user_assigned');
    expect(both.user_assigned_identities.map((u: any) => u.resource_id)).toEqual([ARM_ID]);
    // v1 prints the identity in its own (ARM) words: the same identity.
    const shown = JSON.parse(
      (await hangar('hangar computetarget amlcompute identity show -n cpu-cluster')).stdout,
    );
    expect(shown).toMatchObject({ type: 'SystemAssigned,UserAssigned', principalId: both.principal_id });
    expect(Object.keys(shown.userAssignedIdentities)).toEqual([ARM_ID]);
    expect(
      (await hangar(`hangar computetarget amlcompute identity remove -n cpu-cluster --identities ${ARM_ID}`))
        .code,
    ).toBe(0);
    const third = (await v2('compute', 'show', '-n', 'cpu-cluster')).identity;
    expect(third.type).toBe('system_assigned');
    expect(third.user_assigned_identities).toBeUndefined();
    const again = await hangar(
      `hangar computetarget amlcompute identity remove -n cpu-cluster --identities ${ARM_ID}`,
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`--identities: 'cpu-cluster' has no user-assigned identity ${ARM_ID}`);
    expect(
      (await hangar("hangar computetarget amlcompute identity remove -n cpu-cluster '[system]'")).code,
    ).toBe(0);
    expect((await v2('compute', 'show', '-n', 'cpu-cluster')).identity).toEqual({ type: 'none' });
  }, 120_000);

  it('creates, stops, starts, restarts and deletes a compute instance; -v prints the whole compute', async () => {
    const created = await hangar(
      'hangar computetarget create computeinstance -n instance -s "STANDARD_D3_V2" -v',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).properties).toMatchObject({
      computeType: 'ComputeInstance',
      properties: { vmSize: 'STANDARD_D3_V2', state: 'Running' },
    });
    expect(created.stderr).toContain('instance: Succeeded, Running');
    const state = async (): Promise<string> => (await v2('compute', 'show', '-n', 'instance')).state;
    expect(await state()).toBe('Running');
    const stop = await hangar('hangar computetarget stop computeinstance -n instance -v');
    expect(stop.code, stop.stderr).toBe(0);
    expect(await state()).toBe('Stopped');
    const start = await hangar('hangar computetarget start computeinstance -n instance -v');
    expect(start.code, start.stderr).toBe(0);
    expect(await state()).toBe('Running');
    const nodeBefore = (await v2('compute', 'list-nodes', '-n', 'instance'))[0].node_id;
    const restart = await hangar('hangar computetarget restart computeinstance -n instance -v');
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.stderr).toContain('instance: Succeeded, Restarting');
    expect(await state()).toBe('Running');
    expect((await v2('compute', 'list-nodes', '-n', 'instance'))[0].node_id).not.toBe(nodeBefore);
    // The v1 extension's own order of words works as well.
    const stopAgain = await hangar('hangar computetarget computeinstance stop -n instance');
    expect(stopAgain.code, stopAgain.stderr).toBe(0);
    expect(JSON.parse(stopAgain.stdout)).toEqual({
      location: 'local',
      name: 'instance',
      provisioningErrors: null,
      provisioningState: 'Succeeded',
    });
    expect(await state()).toBe('Stopped');
    const deleted = await hangar('hangar computetarget delete -n instance -v');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stderr).toContain('Deleted instance');
    const gone = await runCli(['compute', 'show', '-n', 'instance'], { url: server.url });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('NotFound');
  }, 120_000);

  it('refuses bad input naming the v1 flag the user wrote, not the API field', async () => {
    const negative = await hangar('hangar computetarget create amlcompute -n bad-max --max-nodes -1');
    expect(negative.code).toBe(2);
    expect(negative.stderr).toContain('--max-nodes: must be a whole number ≥ 0 (a number of nodes); got -1');
    expect(negative.stderr).not.toMatch(/maxNodeCount|max_instances|properties\.properties/);
    const inverted = await hangar(
      'hangar computetarget create amlcompute -n bad-range --min-nodes 3 --max-nodes 1',
    );
    expect(inverted.code).toBe(1);
    expect(inverted.stderr).toContain('--min-nodes must be ≤ --max-nodes (1); got 3');
    expect(inverted.stderr).toContain('(target: --min-nodes)');
    const nowhere = await hangar(
      'hangar computetarget create amlcompute -n bad-place --max-nodes 1 --location eastus',
    );
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain("--location 'eastus' is not configured; valid locations: local");
    const size = await hangar('hangar computetarget create amlcompute -n bad-size -s Standard_XYZ');
    expect(size.code).toBe(1);
    expect(size.stderr).toContain("--vm-size: 'Standard_XYZ' is not a VM size in the catalog");
    const priority = await hangar('hangar computetarget create amlcompute -n bad-prio --vm-priority spot');
    expect(priority.code).toBe(2);
    expect(priority.stderr).toContain("--vm-priority: must be dedicated or lowpriority; got 'spot'");
    const word = await hangar('hangar computetarget create amlcompute -n bad-word --max-nodes four');
    expect(word.code).toBe(2);
    expect(word.stderr).toContain("--max-nodes: 'four' is not a number");
    const name = await hangar('hangar computetarget create amlcompute -n gpu-1');
    expect(name.code).toBe(1);
    expect(name.stderr).toContain('--name must have a letter after each hyphen');
    const names = (await v2('compute', 'list')).map((c: any) => c.name);
    for (const n of ['bad-max', 'bad-range', 'bad-place', 'bad-size', 'bad-prio', 'bad-word', 'gpu-1'])
      expect(names).not.toContain(n);
  }, 120_000);

  it('updates the scale settings: --idle-seconds-before-scaledown is idle_time_before_scale_down', async () => {
    const r = await hangar(
      'hangar computetarget update amlcompute -n lowpriocluster --min-nodes 0 --max-nodes 3 --idle-seconds-before-scaledown 300',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(await v2('compute', 'show', '-n', 'lowpriocluster')).toMatchObject({
      min_instances: 0,
      max_instances: 3,
      idle_time_before_scale_down: 300,
    });
    const zero = await hangar('hangar computetarget update amlcompute -n lowpriocluster --max-nodes 0');
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain('--max-nodes must be ≥ 1; got 0');
    const nothing = await hangar('hangar computetarget update amlcompute -n lowpriocluster');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('give --min-nodes, --max-nodes or --idle-seconds-before-scaledown');
  }, 120_000);

  it('lists and shows: the summary by default, the whole compute with -v; -w names the workspace', async () => {
    const table = await hangar('hangar computetarget list -o table');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/cpu\s+AmlCompute\s+local\s+Succeeded/);
    const list = JSON.parse(
      (await hangar('hangar computetarget list -w default -g my-resource-group')).stdout,
    );
    expect(list.find((c: any) => c.name === 'lowpriocluster')).toEqual({
      computeType: 'AmlCompute',
      location: 'local',
      name: 'lowpriocluster',
      provisioningErrors: null,
      provisioningState: 'Succeeded',
    });
    const verbose = JSON.parse((await hangar('hangar computetarget show -n cpu -v')).stdout);
    const same = await v2('compute', 'show', '-n', 'cpu');
    expect(verbose).toMatchObject({
      id: same.id,
      name: 'cpu',
      location: 'local',
      properties: {
        computeType: 'AmlCompute',
        createdOn: same.created_on,
        properties: {
          scaleSettings: { minNodeCount: same.min_instances, maxNodeCount: same.max_instances },
        },
      },
    });
    const missing = await hangar('hangar computetarget show -n cpu --workspace-name nowhere');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Workspace 'nowhere'");
  }, 120_000);

  it('attaches a remote machine as a v2 virtualmachine; an unreachable one fails saying why', async () => {
    const r = await hangar(
      'hangar computetarget attach remote -n box --address 127.0.0.1 --ssh-port 1 --username azureuser --password s3cret-pw',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Resource attach submitted successfully.');
    expect(r.stderr).toContain('ERROR: box: cannot reach 127.0.0.1:1: ECONNREFUSED');
    const c = await v2('compute', 'show', '-n', 'box');
    expect(c).toMatchObject({
      type: 'virtualmachine',
      provisioning_state: 'Failed',
      address: '127.0.0.1',
      ssh_settings: { admin_username: 'azureuser', ssh_port: 1 },
    });
    expect(JSON.stringify(c)).not.toContain('s3cret-pw');
    const noLogin = await hangar('hangar computetarget attach remote -n box2 -a 127.0.0.1 -u azureuser');
    expect(noLogin.code).toBe(1);
    expect(noLogin.stderr).toContain('(target: --password/--private-key-file)');
    const badAddress = await hangar(
      "hangar computetarget attach remote -n box3 -a 'not an address' -u azureuser -p pw",
    );
    expect(badAddress.code).toBe(1);
    expect(badAddress.stderr).toContain("--address must be an FQDN or IP address; got 'not an address'");
    const detached = await hangar('hangar computetarget detach -n box');
    expect(detached.code, detached.stderr).toBe(0);
    expect((await runCli(['compute', 'show', '-n', 'box'], { url: server.url })).code).toBe(1);
  }, 120_000);
});

describe('hangar folder attach and hangar run submit-script', () => {
  let project: string;

  beforeAll(() => {
    project = tempDir('hangar-v1-project-');
    writeFileSync(
      join(project, 'train.py'),
      'import os, sys\nprint("args", sys.argv[1:])\nprint("greeting", os.environ.get("GREETING"))\n',
    );
  });

  it('attaches a folder: .azureml/config.json holds its workspace and default experiment; v1 prints the project', async () => {
    const r = await hangar('hangar folder attach -w default -e testexperiment', project);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      'Experiment name': 'testexperiment',
      'Project path': project,
      'Resource group': null,
      'Subscription id': null,
      'Workspace name': 'default',
    });
    expect(JSON.parse(readFileSync(join(project, '.azureml', 'config.json'), 'utf8'))).toEqual({
      workspace_name: 'default',
      experiment_name: 'testexperiment',
    });
    expect(existsSync(join(project, '.azureml', 'local.runconfig'))).toBe(true);
    const unknown = await hangar('hangar folder attach -w nowhere', project);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Workspace 'nowhere'");
  });

  it('runs a script on the local target as a command job, in the attached experiment; prints the v1 run', async () => {
    const r = await hangar(
      'hangar run submit-script -c local -e testexperiment train.py --alpha 0.5 "two words"',
      project,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("args ['--alpha', '0.5', 'two words']");
    const run = lastJson(r.stdout);
    expect(run).toMatchObject({
      runType: 'azureml.scriptrun',
      status: 'Completed',
      target: 'local',
      _experiment_name: 'testexperiment',
    });
    const job = await v2('job', 'show', '-n', run.runId);
    expect(job).toMatchObject({
      status: 'Completed',
      compute: 'azureml:local',
      experiment_name: 'testexperiment',
      command: "python train.py --alpha 0.5 'two words'",
    });
  }, 120_000);

  it('takes script, arguments, target and variables from a run configuration; --target sends it to a cluster', async () => {
    writeFileSync(
      join(project, '.azureml', 'train.runconfig'),
      'script: train.py\narguments: [--beta, "2"]\ntarget: local\nenvironment:\n  environmentVariables:\n    GREETING: hello-from-runconfig\n',
    );
    const r = await hangar('hangar run submit-script -c train -t run.json', project);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("args ['--beta', '2']");
    expect(r.stdout).toContain('greeting hello-from-runconfig');
    expect(JSON.parse(readFileSync(join(project, 'run.json'), 'utf8'))).toMatchObject({
      status: 'Completed',
      _experiment_name: 'testexperiment',
    });
    const queued = await hangar('hangar run submit-script --target cpu --async train.py', project);
    expect(queued.code, queued.stderr).toBe(0);
    const job = await v2('job', 'show', '-n', JSON.parse(queued.stdout).runId);
    expect(job).toMatchObject({
      compute: 'azureml:cpu',
      experiment_name: 'testexperiment',
      command: 'python train.py',
    });
    await runCli(['job', 'cancel', '-n', job.name], { url: server.url });
    const missing = await hangar('hangar run submit-script -c sklearn train.py', project);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("-c/--run-configuration-name: no run configuration 'sklearn'");
    mkdirSync(join(project, 'empty'));
    const noScript = await hangar('hangar run submit-script --path empty', project);
    expect(noScript.code).toBe(2);
    expect(noScript.stderr).toContain('give the script to run');
  }, 120_000);
});
