import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/postgres.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, startServerProcess, type ServerProcess, serverFetch } from '../helpers/server-process.js';

let server: ServerProcess;
const ws = '/api/workspaces/default/computes';
const cli = (...args: string[]) => runCli(args, { url: server.url });
const props = async (name: string): Promise<any> =>
  (await api(server.url, 'GET', `${ws}/${name}`)).body.properties.properties;
const waitState = (name: string, state: string, timeoutMs = 45_000): Promise<any> =>
  waitFor(
    async () => ((await props(name)).state === state ? props(name) : undefined),
    `${name} to be ${state}`,
    timeoutMs,
    100,
  );
const events = async (name: string): Promise<any[]> =>
  (await api(server.url, 'GET', `${ws}/${name}/events?$top=500`)).body.value;
const shiftClock = async (seconds: number): Promise<string> =>
  (await api(server.url, 'POST', '/api/admin/clock', { advanceSeconds: seconds })).body.now;
const instance = (properties: Record<string, unknown>) => ({
  properties: { computeType: 'ComputeInstance', properties: { vmSize: 'Standard_DS1_v2', ...properties } },
});
const remove = async (name: string): Promise<void> => {
  await api(server.url, 'DELETE', `${ws}/${name}`);
  await waitFor(
    async () => (await api(server.url, 'GET', `${ws}/${name}`)).status === 404,
    `${name} to be deleted`,
    30_000,
  );
};
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Wall time in a zone as "minute hour" for a cron expression. */
function cronAt(instant: Date, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric' })
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return `${Number(parts.minute)} ${Number(parts.hour) % 24} * * *`;
}

beforeAll(async () => {
  server = await startServerProcess({
    env: { HANGAR_TEST_CLOCK: '1' },
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
}, 60_000);

afterAll(async () => {
  for (const c of (await api(server.url, 'GET', ws)).body.value as any[])
    await api(server.url, 'DELETE', `${ws}/${c.name as string}`);
  await waitFor(
    async () => ((await api(server.url, 'GET', ws)).body.value as unknown[]).length === 0,
    'instances to go',
    60_000,
  );
  await server.stop();
}, 90_000);

describe('schedules', () => {
  it('announces a scheduled stop, lets the owner skip that one occurrence, stops at the next, and starts on schedule (Windows zone name)', async () => {
    const zone = 'Pacific Standard Time';
    const now = Date.now();
    const stopAt = new Date(Math.ceil((now + 2 * 3600_000) / 60_000) * 60_000);
    const startAt = new Date(stopAt.getTime() + 3 * 3600_000);
    const schedules = {
      computeStartStop: [
        {
          id: 'evening-stop',
          action: 'Stop',
          triggerType: 'Cron',
          cron: { expression: cronAt(stopAt, 'America/Los_Angeles'), timeZone: zone },
        },
        {
          id: 'late-start',
          action: 'Start',
          triggerType: 'Cron',
          cron: { expression: cronAt(startAt, 'America/Los_Angeles'), timeZone: zone },
        },
      ],
    };
    expect((await api(server.url, 'PUT', `${ws}/sched-dev`, instance({ schedules }))).status).toBe(201);
    const running = await waitState('sched-dev', 'Running');
    expect(running.nextScheduledStop).toEqual({
      scheduleId: 'evening-stop',
      at: stopAt.toISOString(),
      skipped: false,
    });
    // Ten minutes before the stop, the owner is told, once, and how to skip it.
    await shiftClock((stopAt.getTime() - Date.now()) / 1000 - 600);
    const notice = await waitFor(
      async () => (await events('sched-dev')).find((e) => e.reason === 'ScheduledStopSoon'),
      'the stop notice',
    );
    expect(notice.message).toContain(`Scheduled stop at ${stopAt.toISOString()}`);
    expect(notice.message).toContain('hangar compute skip-stop -n sched-dev');
    const skip = await cli('compute', 'skip-stop', '-n', 'sched-dev');
    expect(skip.code, skip.stderr).toBe(0);
    expect(JSON.parse(skip.stdout)).toEqual({ schedule_id: 'evening-stop', at: stopAt.toISOString() });
    expect((await props('sched-dev')).nextScheduledStop.skipped).toBe(true);
    await shiftClock(11 * 60);
    await waitFor(
      async () => (await props('sched-dev')).nextScheduledStop?.at !== stopAt.toISOString(),
      'the skipped occurrence to pass',
    );
    expect((await props('sched-dev')).state).toBe('Running');
    // The next day's occurrence is not skipped.
    await shiftClock(24 * 3600);
    await waitState('sched-dev', 'Stopped', 30_000);
    expect((await events('sched-dev')).find((e) => e.reason === 'ScheduledStop').message).toContain(
      'schedule evening-stop (Stop at',
    );
    await shiftClock(3 * 3600);
    await waitState('sched-dev', 'Running', 30_000);
    expect((await events('sched-dev')).map((e) => e.reason)).toContain('ScheduledStart');
    await remove('sched-dev');
  }, 120_000);

  it('allows at most 4 schedules and names bad zones and cron fields', async () => {
    const s = (i: number) => ({
      action: 'Stop',
      triggerType: 'Cron',
      cron: { expression: `${i} 20 * * *`, timeZone: 'UTC' },
    });
    const five = await api(
      server.url,
      'PUT',
      `${ws}/too-many`,
      instance({ schedules: { computeStartStop: [0, 1, 2, 3, 4].map(s) } }),
    );
    expect(five.status).toBe(400);
    expect(five.body.error).toMatchObject({
      code: 'ValidationFailed',
      target: 'properties.properties.schedules.computeStartStop',
      message: 'properties.properties.schedules.computeStartStop allows at most 4 schedules; got 5',
    });
    const bad = await api(
      server.url,
      'PUT',
      `${ws}/bad-sched`,
      instance({
        schedules: {
          computeStartStop: [
            { action: 'Stop', triggerType: 'Cron', cron: { expression: '0 25 * * *', timeZone: 'UTC' } },
            {
              action: 'Start',
              triggerType: 'Cron',
              cron: { expression: '0 8 * * *', timeZone: 'Mars Standard Time' },
            },
          ],
        },
      }),
    );
    expect(bad.status).toBe(400);
    const messages = bad.body.error.details.map((d: any) => d.message).join('\n');
    expect(messages).toContain("hour: '25' is outside 0-23");
    expect(messages).toContain(
      "time zone 'Mars Standard Time' is neither an IANA nor a Windows time-zone name",
    );
    expect((await api(server.url, 'GET', `${ws}/too-many`)).status).toBe(404);
  });

  it('gives instances without a schedule the workspace default stop schedule', async () => {
    const policy = {
      defaultStopSchedule: {
        id: 'policy-stop',
        action: 'Stop',
        triggerType: 'Cron',
        cron: { expression: '0 19 * * *', timeZone: 'India Standard Time' },
      },
    };
    expect(
      (await api(server.url, 'PUT', '/api/workspaces/default/policies/computeInstance', policy)).status,
    ).toBe(200);
    expect(
      (await api(server.url, 'PUT', `${ws}/policy-dev`, instance({ startAfterCreation: false }))).status,
    ).toBe(201);
    expect((await props('policy-dev')).schedules.computeStartStop[0].id).toBe('policy-stop');
    expect((await events('policy-dev')).map((e) => e.reason)).toContain('PolicyApplied');
    const own = {
      computeStartStop: [
        {
          id: 'mine',
          action: 'Stop',
          triggerType: 'Cron',
          cron: { expression: '0 23 * * *', timeZone: 'UTC' },
        },
      ],
    };
    expect(
      (await api(server.url, 'PUT', `${ws}/own-dev`, instance({ startAfterCreation: false, schedules: own })))
        .status,
    ).toBe(201);
    expect((await props('own-dev')).schedules.computeStartStop.map((x: any) => x.id)).toEqual(['mine']);
    await api(server.url, 'PUT', '/api/workspaces/default/policies/computeInstance', {});
    await remove('policy-dev');
    await remove('own-dev');
  });
});

describe('creation', () => {
  it('can create an instance stopped; it holds no node until started', async () => {
    const r = await cli(
      'compute',
      'create',
      '-n',
      'later-dev',
      '--type',
      'computeinstance',
      '--size',
      'STANDARD_DS1_V2',
      '--stopped',
    );
    expect(r.code, r.stderr).toBe(0);
    await waitState('later-dev', 'Stopped');
    expect((await api(server.url, 'GET', `${ws}/later-dev/nodes`)).body.value).toEqual([]);
    expect((await cli('compute', 'start', '-n', 'later-dev')).code).toBe(0);
    await waitState('later-dev', 'Running');
    await remove('later-dev');
  }, 60_000);

  it('runs the creation script once and the startup script at every start, keeping their log; a failure is SetupFailed with the log', async () => {
    const scripts = {
      scripts: {
        creationScript: { scriptSource: 'inline', scriptData: b64('echo created >> ~/created.log\n') },
        startupScript: {
          scriptSource: 'inline',
          scriptData: b64('echo started >> ~/started.log\necho startup ran\n'),
        },
      },
    };
    expect(
      (await api(server.url, 'PUT', `${ws}/setup-dev`, instance({ setupScripts: scripts }))).status,
    ).toBe(201);
    const first = await waitState('setup-dev', 'Running');
    expect(first.setup.phase).toBe('succeeded');
    expect(first.setup.log).toContain('startup ran');
    expect((await cli('compute', 'restart', '-n', 'setup-dev')).code).toBe(0);
    await waitFor(
      async () => (await props('setup-dev')).state === 'Restarting',
      'the restart to begin',
      10_000,
      20,
    );
    await waitState('setup-dev', 'Running');
    const homes = readdirSync(join(server.home, 'instances'))
      .map((id) => join(server.home, 'instances', id, 'home'))
      .filter((h) => existsSync(join(h, 'created.log')));
    expect(homes).toHaveLength(1);
    expect(readFileSync(join(homes[0] ?? '', 'created.log'), 'utf8')).toBe('created\n');
    expect(readFileSync(join(homes[0] ?? '', 'started.log'), 'utf8')).toBe('started\nstarted\n');
    const term = (await props('setup-dev')).setup.log as string;
    expect(term.match(/=== creationScript started/g)?.length).toBe(1);
    expect(term.match(/=== startupScript started/g)?.length).toBe(2);
    await remove('setup-dev');

    const failing = {
      scripts: {
        startupScript: {
          scriptSource: 'inline',
          scriptData: 'echo "cannot mount the data share" >&2\nexit 3\n',
        },
      },
    };
    expect(
      (await api(server.url, 'PUT', `${ws}/broken-dev`, instance({ setupScripts: failing }))).status,
    ).toBe(201);
    const failed = await waitState('broken-dev', 'SetupFailed');
    expect(failed.setup).toMatchObject({ phase: 'failed', failedScript: 'startupScript' });
    expect(failed.setup.log).toContain('cannot mount the data share');
    expect(failed.setup.log).toContain('ended with exit code 3');
    await remove('broken-dev');
  }, 120_000);
});

describe('custom applications', () => {
  it('runs a command app reached through the server and its published port; a running custom app keeps the instance busy', async () => {
    const share = tempDir();
    mkdirSync(join(share, 'reports'));
    writeFileSync(join(share, 'reports', 'r1.txt'), 'shared report\n');
    // A port the kernel says is free (a random one could be another test's ephemeral port).
    const target = await freePort();
    const published = 8704 + Math.floor(Math.random() * 280);
    const app = {
      name: 'files',
      command: '/usr/bin/python3 -m http.server "$PORT" --bind 127.0.0.1',
      environmentVariables: { GREETING: { type: 'local', value: 'hi' } },
      endpoints: [{ name: 'connect', protocol: 'http', target, published }],
      volumes: [{ type: 'bind', readOnly: true, source: share, target: '/data' }],
    };
    expect(
      (
        await api(
          server.url,
          'PUT',
          `${ws}/apps-dev`,
          instance({ customServices: [app], idleTimeBeforeShutdown: 'PT15M' }),
        )
      ).status,
    ).toBe(201);
    await waitState('apps-dev', 'Running');
    const body = await waitFor(
      async () => {
        const res = await serverFetch(`${server.url}/apps/default/apps-dev/files/data/reports/r1.txt`);
        return res.status === 200 ? res.text() : undefined;
      },
      'the app to answer through the server',
      30_000,
      200,
    );
    expect(body).toBe('shared report\n');
    expect(await (await fetch(`http://127.0.0.1:${published}/data/reports/r1.txt`)).text()).toBe(
      'shared report\n',
    );
    const p = await props('apps-dev');
    expect(p.applications.map((a: any) => a.displayName)).toContain('files');
    expect(p.activity).toContain("custom application 'files' running");
    await shiftClock(60 * 60);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await props('apps-dev')).state).toBe('Running');
    await remove('apps-dev');
  }, 90_000);

  it('checks published ports and names', async () => {
    const app = (name: string, published: number) => ({
      name,
      command: 'true',
      endpoints: [{ target: 9000, published }],
    });
    const r = await api(
      server.url,
      'PUT',
      `${ws}/bad-apps`,
      instance({ customServices: [app('a', 8000), app('a', 8800), app('b', 8800)] }),
    );
    expect(r.status).toBe(400);
    const messages = r.body.error.details.map((d: any) => d.message);
    expect(messages).toContain(
      'properties.properties.customServices[0].endpoints[0].published must be between 8704 and 8993; got 8000',
    );
    expect(messages).toContain(
      "properties.properties.customServices[1].name 'a' is used by another custom application",
    );
    expect(messages).toContain(
      'properties.properties.customServices[2].endpoints[0].published 8800 is published by another endpoint of this instance',
    );
  });
});

describe('create on behalf of another user', () => {
  it('keeps the applications for the assigned user only; SSO starts off and only the assigned user may turn it on', async () => {
    const script = join(tempDir(), 'setup.sh');
    writeFileSync(script, 'echo ready\n');
    const yaml = join(tempDir(), 'bob.yml');
    writeFileSync(
      yaml,
      `name: bob-dev\ntype: computeinstance\nsize: STANDARD_DS1_V2\ncreate_on_behalf_of:\n  user_object_id: bob-oid\n  user_tenant_id: contoso\nsetup_scripts:\n  startup_script:\n    path: ${script}\n`,
    );
    const r = await cli('compute', 'create', '-f', yaml);
    expect(r.code, r.stderr).toBe(0);
    await waitState('bob-dev', 'Running');
    expect((await props('bob-dev')).enableSSO).toBe(false);
    const sso = await api(server.url, 'POST', `${ws}/bob-dev/enableSso`, { enabled: true });
    expect(sso.status).toBe(403);
    expect(sso.body.error.code).toBe('AuthorizationFailed');
    expect(sso.body.error.message).toContain('Only the assigned user (bob-oid) may turn on single sign-on');
    expect(sso.body.error.message).toContain('its creator cannot');
    const open = await serverFetch(`${server.url}/apps/default/bob-dev/terminal/`);
    expect(open.status).toBe(403);
    expect(((await open.json()) as any).error.message).toContain(
      'Only the assigned user (bob-oid) may open the applications',
    );
    // Power verbs are not application access: the creator may still stop it.
    expect((await cli('compute', 'stop', '-n', 'bob-dev')).code).toBe(0);
    await waitState('bob-dev', 'Stopped');
    await remove('bob-dev');
  }, 90_000);
});

describe('SSH keys', () => {
  it('generates a key pair whose private key is shown once; an instance can use the stored key', async () => {
    const dir = tempDir();
    const made = await cli(
      'compute',
      'ssh-key',
      'create',
      '-n',
      'team-key',
      '--private-key-file',
      join(dir, 'team-key'),
    );
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).not.toContain('PRIVATE KEY');
    expect(readFileSync(join(dir, 'team-key'), 'utf8')).toContain('BEGIN OPENSSH PRIVATE KEY');
    const listed = JSON.stringify((await api(server.url, 'GET', '/api/workspaces/default/sshKeys')).body);
    expect(listed).toContain('ssh-ed25519 ');
    expect(listed).not.toContain('PRIVATE');
    expect(
      (
        await api(
          server.url,
          'PUT',
          `${ws}/keyed-dev`,
          instance({ sshSettings: { sshPublicAccess: 'Enabled', sshKeyName: 'team-key' } }),
        )
      ).status,
    ).toBe(201);
    const running = await waitState('keyed-dev', 'Running');
    const port = /-p (\d+)/.exec(running.connectionString)?.[1] ?? '';
    const out = execFileSync(
      'ssh',
      [
        '-i',
        join(dir, 'team-key'),
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'LogLevel=ERROR',
        '-p',
        port,
        'azureuser@127.0.0.1',
        'echo in',
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(out).toBe('in\n');
    await remove('keyed-dev');
  }, 60_000);

  it('sets the key up later: SSH on at creation, the key added by an update reaches the running node', async () => {
    const dir = tempDir();
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'k')]);
    const made = await cli(
      'compute',
      'create',
      '-n',
      'later-key',
      '--type',
      'computeinstance',
      '--size',
      'STANDARD_DS1_V2',
      '--ssh-public-access-enabled',
    );
    expect(made.code, made.stderr).toBe(0);
    const running = await waitState('later-key', 'Running');
    const port = /-p (\d+)/.exec(running.connectionString)?.[1] ?? '';
    const login = (): string =>
      execFileSync(
        'ssh',
        [
          '-i',
          join(dir, 'k'),
          '-o',
          'IdentitiesOnly=yes',
          '-o',
          'BatchMode=yes',
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-o',
          'LogLevel=ERROR',
          '-p',
          port,
          'azureuser@127.0.0.1',
          'echo in',
        ],
        { encoding: 'utf8', stdio: 'pipe', timeout: 20_000 },
      );
    expect(login).toThrow(/Permission denied/);
    // A multi-line PEM public key is accepted too.
    const pem = execFileSync('ssh-keygen', ['-e', '-m', 'PKCS8', '-f', join(dir, 'k.pub')], {
      encoding: 'utf8',
    });
    const updated = await cli('compute', 'update', '-n', 'later-key', '--ssh-key-value', pem);
    expect(updated.code, updated.stderr).toBe(0);
    expect(
      await waitFor(
        () => {
          try {
            return login();
          } catch {
            return undefined;
          }
        },
        'the key to work',
        20_000,
        300,
      ),
    ).toBe('in\n');
    const off = await api(server.url, 'PATCH', `${ws}/later-key`, {
      properties: { properties: { sshSettings: { sshPublicAccess: 'Disabled' } } },
    });
    expect(off.status).toBe(400);
    // SSH access is fixed at creation: turning it off now is refused, naming the field.
    expect(JSON.stringify(off.body.error)).toContain('sshPublicAccess');
    expect((await props('later-key')).sshSettings.sshPublicAccess).toBe('Enabled');
    await remove('later-key');
  }, 60_000);
});
