import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// 4 dedicated cores of standardDv2Family: two Standard_D2_v2 nodes (2 vCPUs each), not three.
const config = {
  reconcileIntervalMs: 200,
  jobs: { heartbeatIntervalMs: 300 },
  locations: [{ name: 'local', quota: { dedicatedCoresPerFamily: { standardDv2Family: 4 } } }],
};
let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });
const compute = async (name: string) =>
  (await api(server.url, 'GET', `/api/workspaces/default/computes/${name}`)).body;
const events = async (name: string): Promise<{ reason: string; message: string }[]> =>
  (await api(server.url, 'GET', `/api/workspaces/default/computes/${name}/events?$top=200`)).body.value;

beforeAll(async () => {
  server = await startServerProcess({ config });
  const created = await cli([
    'compute',
    'create',
    '-n',
    'pool',
    '--type',
    'amlcompute',
    '--size',
    'STANDARD_D2_V2',
    '--min-instances',
    '0',
    '--max-instances',
    '3',
    '--idle-time-before-scale-down',
    '3',
  ]);
  expect(created.code).toBe(0);
}, 60_000);

afterAll(async () => {
  await api(server.url, 'DELETE', '/api/workspaces/default/locks/freeze');
  await api(server.url, 'DELETE', '/api/workspaces/default/computes/pool');
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes/pool')).status === 404,
    'the cluster to go',
    30_000,
  );
  await server.stop();
});

describe('cluster autoscaling', () => {
  it('scales 0 → N with demand, stops at quota visibly, and back to 0 after the idle time', async () => {
    const yml = jobFolder({ command: 'sleep 3', compute: 'pool' });
    for (const n of [1, 2, 3])
      expect((await cli(['job', 'create', '-f', yml, '--name', `burst-${n}`])).code).toBe(0);
    const short = await waitFor(
      async () => {
        const c = await compute('pool');
        return c.properties.properties.errors?.[0]?.code === 'QuotaExceeded' ? c : undefined;
      },
      'the quota shortfall to show on the cluster',
      30_000,
    );
    expect(short.properties.properties.targetNodeCount).toBe(3);
    expect(short.properties.properties.errors[0].message).toMatch(
      /standardDv2Family: usage \d+, limit 4, request \d+ \(scale-up of cluster pool/,
    );
    expect(
      (await events('pool')).some(
        (e) => e.reason === 'ScaleUpDeniedByQuota' && e.message.includes('limit 4'),
      ),
    ).toBe(true);
    // Never beyond quota: two nodes at most, and all three jobs still complete on them.
    for (const n of [1, 2, 3])
      expect((await waitForEnd(server.url, `burst-${n}`, 60_000)).properties.status).toBe('Completed');
    const idle = await waitFor(
      async () => {
        const c = await compute('pool');
        return c.properties.properties.currentNodeCount === 0 ? c : undefined;
      },
      'scale back to zero after the idle time',
      30_000,
    );
    expect(idle.properties.properties).toMatchObject({
      allocationState: 'Steady',
      targetNodeCount: 0,
      errors: [],
    });
    const log = await events('pool');
    expect(log.filter((e) => e.reason === 'NodeProvisioned')).toHaveLength(2);
    expect(log.find((e) => e.reason === 'NodeProvisioned')?.message).toMatch(
      /target [1-3] = clamp\(min 0, max 3, demand [1-3]\), [0-2] live/,
    );
    expect(
      log
        .filter((e) => e.reason === 'NodeReleased')
        .every((e) => e.message.includes('idle longer than PT3S')),
    ).toBe(true);
    expect(log.some((e) => e.reason === 'ScalingUnblocked')).toBe(true);
  });

  it('queue_settings.priority orders the queue: high, then medium, then low; FIFO within', async () => {
    const made = await cli([
      'compute',
      'create',
      '-n',
      'single',
      '--type',
      'amlcompute',
      '--size',
      'Standard_D2_v3',
      '--min-instances',
      '1',
      '--max-instances',
      '1',
    ]);
    expect(made.code).toBe(0);
    const blocker = jobFolder({ command: 'sleep 300', compute: 'single' });
    expect((await cli(['job', 'create', '-f', blocker, '--name', 'blocker'])).code).toBe(0);
    await waitFor(
      async () =>
        (await api(server.url, 'GET', '/api/workspaces/default/jobs/blocker')).body.properties.status ===
        'Running',
      'the blocker to run',
      30_000,
    );
    const queued = [
      ['low-1', 'low'],
      ['medium-1', 'medium'],
      ['high-1', 'high'],
      ['low-2', 'low'],
      ['high-2', 'high'],
    ] as const;
    for (const [name, priority] of queued) {
      const yml = jobFolder({ command: 'true', compute: 'single', queue_settings: { priority } });
      expect((await cli(['job', 'create', '-f', yml, '--name', name])).code).toBe(0);
    }
    // Everything is queued behind the blocker; freeing its slot lets the queue order show.
    expect((await cli(['job', 'cancel', '-n', 'blocker'])).code).toBe(0);
    const starts: [string, number][] = [];
    for (const [name] of queued)
      starts.push([name, Date.parse((await waitForEnd(server.url, name, 60_000)).properties.startTime)]);
    expect(starts.sort((a, b) => a[1] - b[1]).map(([n]) => n)).toEqual([
      'high-1',
      'high-2',
      'medium-1',
      'low-1',
      'low-2',
    ]);
    const shown = (await api(server.url, 'GET', '/api/workspaces/default/jobs/high-1')).body.properties;
    expect(shown.priority).toBe('high');
    const bad = await cli([
      'job',
      'create',
      '-f',
      jobFolder({ command: 'true', compute: 'single', queue_settings: { priority: 'urgent' } }),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('queue_settings.priority');
    await api(server.url, 'DELETE', '/api/workspaces/default/computes/single');
  });

  it('run-based compute: an inline cluster is made for the job and deleted when it ends', async () => {
    const yml = jobFolder({
      command: 'echo on a cluster made for me',
      compute: { type: 'amlcompute', size: 'Standard_D2_v3', max_instances: 1 },
    });
    const r = await cli(['job', 'create', '-f', yml, '--name', 'run-based', '--stream']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('on a cluster made for me');
    const job = (await api(server.url, 'GET', '/api/workspaces/default/jobs/run-based')).body.properties;
    const made = String(job.computeId);
    expect(made).toMatch(/^run[0-9a-f]{12}$/);
    await waitFor(
      async () => (await api(server.url, 'GET', `/api/workspaces/default/computes/${made}`)).status === 404,
      'the run-based cluster to be deleted',
      30_000,
    );
    // A refused inline cluster leaves nothing behind.
    const before = (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.length;
    const bad = await cli([
      'job',
      'create',
      '-f',
      jobFolder({
        command: 'true',
        compute: { type: 'amlcompute', size: 'Standard_Nope', max_instances: 1 },
      }),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Standard_Nope');
    const refused = await cli([
      'job',
      'create',
      '-f',
      jobFolder({
        command: 'true',
        compute: { type: 'amlcompute', size: 'Standard_D2_v3', max_instances: 1 },
        environment: 'azureml:no-such-env:1',
      }),
    ]);
    expect(refused.code).toBe(1);
    await waitFor(
      async () =>
        (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.length === before,
      "the refused job's cluster to go",
      30_000,
    );
  });

  it('a ReadOnly lock blocks scaling with a visible error instead of a silent 0 → 0', async () => {
    const lock = await api(server.url, 'PUT', '/api/workspaces/default/locks/freeze', {
      level: 'ReadOnly',
      notes: 'change freeze',
    });
    expect(lock.status).toBe(200);
    const yml = jobFolder({ command: 'echo thawed', compute: 'pool' });
    expect((await cli(['job', 'create', '-f', yml, '--name', 'frozen'])).code).toBe(0);
    const blocked = await waitFor(
      async () => {
        const c = await compute('pool');
        return c.properties.properties.errors?.[0]?.code === 'ScopeLocked' ? c : undefined;
      },
      'the lock to show on the cluster',
      20_000,
    );
    expect(blocked.properties.properties.errors[0].message).toContain(
      "cannot scale from 0 to 1 node(s): workspace 'default' has a ReadOnly lock 'freeze'",
    );
    expect(blocked.properties.properties.currentNodeCount).toBe(0);
    expect((await events('pool')).some((e) => e.reason === 'ScalingBlockedByLock')).toBe(true);
    expect((await api(server.url, 'DELETE', '/api/workspaces/default/locks/freeze')).status).toBeLessThan(
      300,
    );
    expect((await waitForEnd(server.url, 'frozen', 60_000)).properties.status).toBe('Completed');
  });
});
