import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCluster, jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

let server: ServerProcess;
const cli = (...args: string[]) => runCli(args, { url: server.url });
const jobsPath = '/api/workspaces/default/jobs';

beforeAll(async () => {
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
  await createCluster(server.url, 'cpu-cluster', 1, 2);
  const yml = jobFolder({
    command: 'echo shaped',
    compute: 'azureml:cpu-cluster',
    experiment_name: 'shapes',
    tags: { team: 'vision' },
  });
  const created = await cli('job', 'create', '-f', yml, '--name', 'shape-1', '--query', 'name', '-o', 'tsv');
  expect(created.code, created.stderr).toBe(0);
  // `az ml job create … --query name -o tsv` yields the job name, bare.
  expect(created.stdout).toBe('shape-1\n');
  await waitForEnd(server.url, 'shape-1');
}, 120_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/cpu-cluster');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/cpu-cluster')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('the CLI prints what az ml prints (built CLI against a real server)', () => {
  it('answers the status loop of the example scripts: --query status -o tsv prints Completed', async () => {
    const r = await cli('job', 'show', '-n', 'shape-1', '--query', 'status', '-o', 'tsv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Completed\n');
  });

  it('shows a job as the flat snake_case entity, not the ARM envelope', async () => {
    const r = await cli('job', 'show', '-n', 'shape-1');
    expect(r.code, r.stderr).toBe(0);
    const job = JSON.parse(r.stdout);
    expect(job).toMatchObject({
      name: 'shape-1',
      type: 'command',
      status: 'Completed',
      experiment_name: 'shapes',
      compute: 'azureml:cpu-cluster',
      command: 'echo shaped',
      tags: { team: 'vision' },
      services: { Studio: { endpoint: `${server.url}/jobs/shape-1` } },
    });
    expect(job.properties).toEqual({});
    expect(job.creation_context.created_at).toMatch(/^\d{4}-/);
    expect(job.systemData).toBeUndefined();
    const studio = await cli(
      'job',
      'show',
      '-n',
      'shape-1',
      '--query',
      'services.Studio.endpoint',
      '-o',
      'tsv',
    );
    expect(studio.stdout).toBe(`${server.url}/jobs/shape-1\n`);
  });

  it('evaluates JMESPath filters and projections, and every -o format', async () => {
    const names = await cli('job', 'list', '--query', "[?status=='Completed'].name", '-o', 'tsv');
    expect(names.code, names.stderr).toBe(0);
    expect(names.stdout.split('\n')).toContain('shape-1');
    const failed = await cli('job', 'list', '--query', "[?status=='Failed'].name", '-o', 'json');
    expect(JSON.parse(failed.stdout)).toEqual([]);
    const table = await cli('job', 'list', '--query', '[].{Name:name, Status:status}', '-o', 'table');
    expect(table.stdout.split('\n').slice(0, 3)).toEqual([
      'Name     Status',
      '-------  ---------',
      'shape-1  Completed',
    ]);
    const yaml = await cli('job', 'show', '-n', 'shape-1', '-o', 'yaml');
    expect(yaml.stdout).toMatch(/^status: Completed$/m);
    const tsvRow = await cli(
      'job',
      'show',
      '-n',
      'shape-1',
      '--query',
      '{n:name, s:status, t:tags}',
      '-o',
      'tsv',
    );
    expect(tsvRow.stdout).toBe('shape-1\tCompleted\t\n');
    const none = await cli('job', 'show', '-n', 'shape-1', '-o', 'none');
    expect([none.code, none.stdout]).toEqual([0, '']);
    // A query that selects nothing prints nothing and is no error, as in az.
    const nothing = await cli('job', 'show', '-n', 'shape-1', '--query', 'no_such_field', '-o', 'tsv');
    expect([nothing.code, nothing.stdout, nothing.stderr]).toEqual([0, '', '']);
    const bad = await cli('job', 'show', '-n', 'shape-1', '--query', "[?status=='", '-o', 'tsv');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('argument --query: invalid jmespath_type value');
    const badOutput = await cli('job', 'show', '-n', 'shape-1', '-o', 'xml');
    expect(badOutput.code).toBe(2);
    expect(badOutput.stderr).toContain("invalid choice: 'xml'");
  });

  it('shows a compute with its YAML keys', async () => {
    const state = await cli(
      'compute',
      'show',
      '-n',
      'cpu-cluster',
      '--query',
      'provisioning_state',
      '-o',
      'tsv',
    );
    expect(state.stdout).toBe('Succeeded\n');
    const c = JSON.parse((await cli('compute', 'show', '-n', 'cpu-cluster')).stdout);
    expect(c).toMatchObject({ name: 'cpu-cluster', type: 'amlcompute', min_instances: 1, max_instances: 2 });
    expect(c.properties).toBeUndefined();
    const listed = await cli('compute', 'list', '--query', "[?type=='amlcompute'].name", '-o', 'tsv');
    expect(listed.stdout).toBe('cpu-cluster\n');
  });

  it('takes the global flags of az ml: -g, -w/--workspace-name, --subscription, --verbose, --debug', async () => {
    const r = await cli(
      'job',
      'show',
      '-n',
      'shape-1',
      '-g',
      'my-rg',
      '-w',
      'default',
      '--subscription',
      '0000-sub',
      '--verbose',
      '--query',
      'status',
      '-o',
      'tsv',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Completed\n');
    expect(r.stderr).toContain('resource group my-rg');
    expect(r.stderr).toContain('subscription 0000-sub');
    const other = await cli(
      'job',
      'show',
      '-n',
      'shape-1',
      '--workspace-name',
      'nowhere',
      '--only-show-errors',
    );
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('nowhere');
  });

  it('expands unambiguous abbreviations of long options and refuses ambiguous ones', async () => {
    const r = await cli(
      'job',
      'show',
      '--nam',
      'shape-1',
      '--resource-gr',
      'rg',
      '--que',
      'status',
      '--out',
      'tsv',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Completed\n');
    const ambiguous = await cli('job', 'show', '-n', 'shape-1', '--o', 'tsv');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('ambiguous option: --o could match --only-show-errors, --output');
  });

  it("--web prints the resource's studio URL (stdout keeps the output)", async () => {
    const r = await cli('job', 'show', '-n', 'shape-1', '-e', '--query', 'status', '-o', 'tsv');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Completed\n');
    expect(r.stderr).toContain(`${server.url}/jobs/shape-1`);
    const compute = await cli('compute', 'show', '-n', 'cpu-cluster', '--web', '-o', 'none');
    expect(compute.stderr).toContain(`${server.url}/computes/cpu-cluster`);
    const page = await fetch(`${server.url}/jobs/shape-1`);
    expect(page.status).not.toBe(404);
  });

  it('job update sets display name, description, tags and properties; refuses other fields', async () => {
    const r = await cli(
      'job',
      'update',
      '-n',
      'shape-1',
      '--set',
      'display_name=renamed',
      'description=first run',
      'tags.stage=done',
      'properties.owner=ana',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      display_name: 'renamed',
      description: 'first run',
      tags: { team: 'vision', stage: 'done' },
      properties: { owner: 'ana' },
      status: 'Completed',
    });
    const removed = await cli('job', 'update', '-n', 'shape-1', '--remove', 'tags.stage', '--query', 'tags');
    expect(JSON.parse(removed.stdout)).toEqual({ team: 'vision' });
    const fixed = await cli('job', 'update', '-n', 'shape-1', '--set', 'compute=azureml:other');
    expect(fixed.code).toBe(2);
    expect(fixed.stderr).toContain("'compute' cannot be changed on a submitted job");
  });

  it('PATCH of a job refuses bad input naming the field, and needs write access', async () => {
    const bad = await api(server.url, 'PATCH', `${jobsPath}/shape-1`, { properties: { displayName: '' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ValidationFailed');
    expect(JSON.stringify(bad.body.error)).toContain('displayName');
    const unknown = await api(server.url, 'PATCH', `${jobsPath}/shape-1`, { properties: { command: 'rm' } });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.error)).toContain('command');
    const missing = await api(server.url, 'PATCH', `${jobsPath}/no-such-job`, { properties: { tags: {} } });
    expect(missing.status).toBe(404);
    const badView = await api(server.url, 'GET', `${jobsPath}?listViewType=Deleted`);
    expect(badView.status).toBe(400);
    expect(badView.body.error.target).toBe('listViewType');
    const anonymous = await fetch(`${server.url}${jobsPath}/shape-1`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { isArchived: true } }),
    });
    expect(anonymous.status).toBe(401);
    expect((await api(server.url, 'POST', '/api/users', { name: 'rita' })).status).toBe(201);
    const token = (await api(server.url, 'POST', '/api/users/rita/tokens', { name: 't', expiresInDays: 1 }))
      .body.token as string;
    const me = (await api(server.url, 'GET', '/api/auth/me', undefined, token)).body;
    await api(server.url, 'POST', '/api/roleAssignments', {
      principalId: me.principal.objectId,
      roleName: 'Reader',
      scope: '/workspaces/default',
    });
    const reader = await api(
      server.url,
      'PATCH',
      `${jobsPath}/shape-1`,
      { properties: { isArchived: true } },
      token,
    );
    expect(reader.status).toBe(403);
    expect((await api(server.url, 'GET', `${jobsPath}/shape-1`, undefined, token)).status).toBe(200);
  });

  it('archives and restores a job: job list hides archived jobs unless asked', async () => {
    const names = async (...flags: string[]) =>
      (await cli('job', 'list', ...flags, '--query', '[].name', '-o', 'tsv')).stdout
        .split('\n')
        .filter(Boolean);
    expect(await names()).toContain('shape-1');
    const archived = await cli('job', 'archive', '-n', 'shape-1');
    expect(archived.code, archived.stderr).toBe(0);
    expect(await names()).not.toContain('shape-1');
    expect(await names('--include-archived')).toContain('shape-1');
    expect(await names('--archived-only')).toEqual(['shape-1']);
    expect((await cli('job', 'show', '-n', 'shape-1', '--query', 'is_archived', '-o', 'tsv')).stdout).toBe(
      'true\n',
    );
    expect((await cli('job', 'restore', '-n', 'shape-1')).code).toBe(0);
    expect(await names()).toContain('shape-1');
    expect(await names('--archived-only')).toEqual([]);
  });

  it('job list --parent-job-name lists the children (none for a single-node job)', async () => {
    const r = await cli('job', 'list', '--parent-job-name', 'shape-1');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    const missing = await cli('job', 'list', '-p', 'no-such-job');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no-such-job');
  });

  it('compute update --user-assigned-identities sets the identity', async () => {
    const id =
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai';
    const r = await cli('compute', 'update', '-n', 'cpu-cluster', '-i', id, '--query', 'identity');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      type: 'user_assigned',
      user_assigned_identities: [{ resource_id: id }],
    });
  });

  it('an unknown group or verb is an error naming it (exit 2), not the help', async () => {
    const group = await cli('frobnicate', 'list');
    expect(group.code).toBe(2);
    expect(group.stderr).toContain("unknown command 'frobnicate'");
    expect(group.stdout).toBe('');
    const verb = await cli('job', 'frobnicate', '-n', 'x');
    expect(verb.code).toBe(2);
    expect(verb.stderr).toContain("unknown command 'frobnicate'");
  });
});
