import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import type { ScheduleSpec } from '../compute/compute-schema.js';
import { busyReasons, idleClockReset } from './idle.js';
import type { InstanceReport } from './instance.js';
import { decideInstance, type InstanceSnapshot } from './instance-decision.js';
import { instanceState } from './instance-state.js';

const report = (over: Partial<InstanceReport> = {}): InstanceReport => ({
  setup: { phase: 'succeeded', log: '' },
  apps: [],
  jupyterKernels: 0,
  terminals: 0,
  appToken: 't',
  ...over,
});
const base = (over: Partial<InstanceSnapshot> = {}): InstanceSnapshot => ({
  control: { power: 'Running' },
  schedules: [],
  usable: true,
  busy: [],
  createdAt: '2026-01-01T00:00:00Z',
  ...over,
});
const notice = 15 * 60_000;

describe('busy reasons', () => {
  it('names every kind of activity in plain words', () => {
    const r = report({
      jupyterKernels: 1,
      terminals: 2,
      ssh: { port: 1, sessions: [{ from: '10.0.0.5', user: 'azureuser', since: 'x' }] },
      apps: [{ name: 'rstudio', kind: 'custom', running: true }],
    });
    expect(busyReasons(r, 1)).toEqual([
      '1 running job',
      '1 Jupyter kernel',
      '2 terminal sessions',
      'SSH/VS Code connection from 10.0.0.5',
      "custom application 'rstudio' running",
    ]);
    expect(busyReasons(report(), 0)).toEqual([]);
  });
});

describe('idle shutdown', () => {
  it('stops an instance idle for its limit, with the reason, and not a minute before', () => {
    const clock = new FakeClock('2026-11-23T14:02:00Z');
    const first = decideInstance(base({ idleLimitSeconds: 1800 }), clock.now(), notice);
    expect(first.observed.activity).toBe('idle since 14:02 UTC');
    expect(first.power).toBeUndefined();
    clock.advance(29 * 60_000);
    const before = decideInstance(
      base({ idleLimitSeconds: 1800, idleSince: first.observed.idleSince }),
      clock.now(),
      notice,
    );
    expect(before.power).toBeUndefined();
    expect(before.wakeAt?.toISOString()).toBe('2026-11-23T14:32:00.000Z');
    clock.advance(60_000);
    const due = decideInstance(
      base({ idleLimitSeconds: 1800, idleSince: first.observed.idleSince }),
      clock.now(),
      notice,
    );
    expect(due.power).toMatchObject({ to: 'Stopped', eventReason: 'IdleShutdown' });
    expect(due.power?.reason).toMatch(/idle for 30 min since 2026-11-23T14:02:00.000Z/);
  });

  it('never stops a busy instance and says why', () => {
    const d = decideInstance(
      base({
        idleLimitSeconds: 900,
        idleSince: '2026-01-01T00:00:00Z',
        busy: ['1 Jupyter kernel', 'SSH/VS Code connection from 10.0.0.5'],
      }),
      new Date('2026-11-23T00:00:00Z'),
      notice,
    );
    expect(d.power).toBeUndefined();
    expect(d.observed.activity).toBe('busy: 1 Jupyter kernel, SSH/VS Code connection from 10.0.0.5');
    expect(d.observed.idleSince).toBeUndefined();
  });

  it('restarts the idle clock when the new setting is shorter than the time already idle (seed rule)', () => {
    const now = new Date('2026-11-23T15:00:00Z');
    // Idle for 60 min; the setting goes from 120 to 30 min: the clock restarts now.
    const reset = idleClockReset(1800, '2026-11-23T14:00:00Z', undefined, now);
    expect(reset).toBe(now.toISOString());
    // A longer setting (90 min > 60 idle) keeps the clock.
    expect(idleClockReset(5400, '2026-11-23T14:00:00Z', undefined, now)).toBeUndefined();
    const after = decideInstance(
      base({
        idleLimitSeconds: 1800,
        idleSince: '2026-11-23T14:00:00Z',
        control: { power: 'Running', idleClockResetAt: reset },
      }),
      now,
      notice,
    );
    expect(after.power).toBeUndefined();
    expect(after.wakeAt?.toISOString()).toBe('2026-11-23T15:30:00.000Z');
    const later = decideInstance(
      base({
        idleLimitSeconds: 1800,
        idleSince: '2026-11-23T14:00:00Z',
        control: { power: 'Running', idleClockResetAt: reset },
      }),
      new Date('2026-11-23T15:30:00Z'),
      notice,
    );
    expect(later.power?.eventReason).toBe('IdleShutdown');
  });
});

describe('schedules in the loop', () => {
  const stopAt20: ScheduleSpec = {
    id: 'evening',
    action: 'Stop',
    status: 'Enabled',
    triggerType: 'Cron',
    cron: { expression: '0 20 * * *', timeZone: 'UTC' },
  };
  const startAt8: ScheduleSpec = {
    id: 'morning',
    action: 'Start',
    status: 'Enabled',
    triggerType: 'Cron',
    cron: { expression: '0 8 * * *', timeZone: 'UTC' },
  };

  it('announces a scheduled stop ahead of time, once, then stops', () => {
    const s = base({
      schedules: [stopAt20],
      busy: ['1 terminal session'],
      control: { power: 'Running', schedulesCheckedAt: '2026-11-23T19:00:00Z' },
    });
    const early = decideInstance(s, new Date('2026-11-23T19:40:00Z'), notice);
    expect(early.notify).toBeUndefined();
    expect(early.wakeAt?.toISOString()).toBe('2026-11-23T19:45:00.000Z');
    const soon = decideInstance(s, new Date('2026-11-23T19:46:00Z'), notice);
    expect(soon.notify).toEqual({ scheduleId: 'evening', at: '2026-11-23T20:00:00.000Z' });
    const again = decideInstance(
      { ...s, control: { ...s.control, ...soon.control } },
      new Date('2026-11-23T19:50:00Z'),
      notice,
    );
    expect(again.notify).toBeUndefined();
    const fire = decideInstance(
      { ...s, control: { ...s.control, ...again.control } },
      new Date('2026-11-23T20:00:05Z'),
      notice,
    );
    // A scheduled stop happens even when the instance is busy.
    expect(fire.power).toMatchObject({ to: 'Stopped', eventReason: 'ScheduledStop' });
  });

  it('skips exactly the occurrence the owner skipped, and the next one fires', () => {
    const skipped = ['evening@2026-11-23T20:00:00.000Z'];
    const s = base({
      schedules: [stopAt20],
      control: { power: 'Running', schedulesCheckedAt: '2026-11-23T19:59:00Z', skipped },
    });
    const d = decideInstance(s, new Date('2026-11-23T20:00:30Z'), notice);
    expect(d.power).toBeUndefined();
    expect(d.control.skipped).toEqual([]);
    const next = decideInstance(
      { ...s, control: { power: 'Running', schedulesCheckedAt: '2026-11-24T19:59:00Z' } },
      new Date('2026-11-24T20:00:30Z'),
      notice,
    );
    expect(next.power?.to).toBe('Stopped');
  });

  it('starts a stopped instance on schedule and ignores disabled schedules', () => {
    const s = base({
      usable: false,
      schedules: [startAt8, { ...stopAt20, status: 'Disabled' }],
      control: { power: 'Stopped', schedulesCheckedAt: '2026-11-23T07:59:00Z' },
    });
    expect(decideInstance(s, new Date('2026-11-23T08:00:01Z'), notice).power).toMatchObject({
      to: 'Running',
      eventReason: 'ScheduledStart',
    });
    const off = base({
      schedules: [{ ...stopAt20, status: 'Disabled' }],
      control: { power: 'Running', schedulesCheckedAt: '2026-11-23T19:59:00Z' },
    });
    expect(decideInstance(off, new Date('2026-11-23T20:00:01Z'), notice).power).toBeUndefined();
  });

  it('does not fire occurrences from before the instance existed', () => {
    const s = base({
      schedules: [stopAt20],
      createdAt: '2026-11-23T20:30:00Z',
      control: { power: 'Running' },
    });
    expect(decideInstance(s, new Date('2026-11-23T20:31:00Z'), notice).power).toBeUndefined();
  });
});

describe('instance state', () => {
  const node = (over: object = {}): Parameters<typeof instanceState>[0]['node'] => ({
    state: 'idle',
    registeredAt: 'x',
    createdAt: '2026-01-01T00:00:00Z',
    instance: report(),
    ...over,
  });
  it('follows the node, setup and power', () => {
    expect(instanceState({ provisioningState: 'Creating', control: { power: 'Running' } })).toBe('Creating');
    expect(instanceState({ provisioningState: 'Succeeded', control: { power: 'Running' } })).toBe('Starting');
    expect(
      instanceState({
        provisioningState: 'Succeeded',
        control: { power: 'Running' },
        node: node({ instance: report({ setup: { phase: 'running', log: '' } }) }),
      }),
    ).toBe('SettingUp');
    expect(
      instanceState({
        provisioningState: 'Succeeded',
        control: { power: 'Running' },
        node: node({ instance: report({ setup: { phase: 'failed', log: 'boom' } }) }),
      }),
    ).toBe('SetupFailed');
    expect(
      instanceState({ provisioningState: 'Succeeded', control: { power: 'Running' }, node: node() }),
    ).toBe('Running');
    expect(
      instanceState({
        provisioningState: 'Succeeded',
        control: { power: 'Running' },
        node: node({ state: 'running' }),
      }),
    ).toBe('JobRunning');
    expect(
      instanceState({ provisioningState: 'Succeeded', control: { power: 'Stopped' }, node: node() }),
    ).toBe('Stopping');
    expect(instanceState({ provisioningState: 'Succeeded', control: { power: 'Stopped' } })).toBe('Stopped');
    expect(
      instanceState({
        provisioningState: 'Succeeded',
        control: { power: 'Running', restartRequestedAt: '2026-06-01T00:00:00Z' },
        node: node(),
      }),
    ).toBe('Restarting');
    expect(
      instanceState({
        provisioningState: 'Succeeded',
        control: { power: 'Running' },
        node: node({ state: 'unusable' }),
      }),
    ).toBe('Unusable');
  });
});
