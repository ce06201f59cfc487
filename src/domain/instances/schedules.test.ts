import { describe, expect, it } from 'vitest';
import type { ScheduleSpec } from '../compute/compute-schema.js';
import { parseCron } from './cron.js';
import { lastOccurrenceIn, nextOccurrence } from './schedules.js';
import { instantOf } from './zoned-time.js';

const cron = (expression: string, timeZone: string, action: 'Start' | 'Stop' = 'Stop'): ScheduleSpec => ({
  action,
  status: 'Enabled',
  triggerType: 'Cron',
  cron: { expression, timeZone },
});
const iso = (d: Date | undefined): string | undefined => d?.toISOString();

describe('cron parsing', () => {
  it('reads lists, ranges, steps and names', () => {
    const c = parseCron('*/15 9-17 * JAN,jul MON-FRI');
    expect(c.minutes).toEqual([0, 15, 30, 45]);
    expect(c.hours).toEqual([9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect([...c.months]).toEqual([1, 7]);
    expect([...c.weekDays]).toEqual([1, 2, 3, 4, 5]);
  });
  it('names the field that is wrong', () => {
    expect(() => parseCron('0 25 * * *')).toThrow(/hour: '25' is outside 0-23/);
    expect(() => parseCron('0 20 * *')).toThrow(/5 fields/);
  });
});

describe('schedules across DST in a Windows-named zone', () => {
  // US DST 2026: starts Sunday 8 March (02:00 → 03:00), ends Sunday 1 November (02:00 → 01:00).
  const stop = cron('0 20 * * *', 'Pacific Standard Time');

  it('keeps a 20:00 stop at 20:00 local on both sides of the spring change', () => {
    expect(iso(nextOccurrence(stop, new Date('2026-03-07T12:00:00Z')))).toBe('2026-03-08T04:00:00.000Z'); // 20:00 PST (UTC−8)
    expect(iso(nextOccurrence(stop, new Date('2026-03-08T12:00:00Z')))).toBe('2026-03-09T03:00:00.000Z'); // 20:00 PDT (UTC−7)
  });

  it('keeps it through the autumn change', () => {
    expect(iso(nextOccurrence(stop, new Date('2026-10-31T12:00:00Z')))).toBe('2026-11-01T03:00:00.000Z'); // PDT
    expect(iso(nextOccurrence(stop, new Date('2026-11-01T12:00:00Z')))).toBe('2026-11-02T04:00:00.000Z'); // PST
  });

  it('fires a time skipped by the spring change at the end of the gap, once', () => {
    const s = cron('30 2 * * *', 'Pacific Standard Time', 'Start');
    expect(iso(nextOccurrence(s, new Date('2026-03-08T00:00:00Z')))).toBe('2026-03-08T10:30:00.000Z'); // 03:30 PDT
  });

  it('fires a time repeated by the autumn change once, at its first occurrence', () => {
    const s = cron('30 1 * * *', 'Pacific Standard Time');
    const first = nextOccurrence(s, new Date('2026-11-01T07:00:00Z'));
    expect(iso(first)).toBe('2026-11-01T08:30:00.000Z'); // 01:30 PDT
    expect(iso(nextOccurrence(s, first as Date))).toBe('2026-11-02T09:30:00.000Z'); // next day, 01:30 PST
  });

  it('takes India Standard Time (no DST, +05:30) and the IANA names alike', () => {
    expect(
      iso(nextOccurrence(cron('0 18 * * *', 'India Standard Time'), new Date('2026-06-01T00:00:00Z'))),
    ).toBe('2026-06-01T12:30:00.000Z');
    expect(iso(nextOccurrence(cron('0 18 * * *', 'Asia/Kolkata'), new Date('2026-06-01T00:00:00Z')))).toBe(
      '2026-06-01T12:30:00.000Z',
    );
  });

  it('restricts days by weekday (weekdays only)', () => {
    // Friday 2026-11-20 after 20:00 UTC → Monday 23rd.
    const s = cron('0 20 * * 1-5', 'UTC');
    expect(iso(nextOccurrence(s, new Date('2026-11-20T21:00:00Z')))).toBe('2026-11-23T20:00:00.000Z');
  });
});

describe('recurrence triggers', () => {
  const rec = (r: NonNullable<ScheduleSpec['recurrence']>): ScheduleSpec => ({
    action: 'Stop',
    status: 'Enabled',
    triggerType: 'Recurrence',
    recurrence: r,
  });

  it('runs on the given week days at the given hours and minutes, in local time', () => {
    const s = rec({
      frequency: 'Week',
      interval: 1,
      timeZone: 'W. Europe Standard Time',
      schedule: { hours: [18], minutes: [30], weekDays: ['Monday', 'Thursday'] },
    });
    // Europe DST ends Sunday 25 October 2026. Thursday 22 Oct 18:30 CEST = 16:30Z; Monday 26 Oct 18:30 CET = 17:30Z.
    expect(iso(nextOccurrence(s, new Date('2026-10-20T00:00:00Z')))).toBe('2026-10-22T16:30:00.000Z');
    expect(iso(nextOccurrence(s, new Date('2026-10-23T00:00:00Z')))).toBe('2026-10-26T17:30:00.000Z');
  });

  it('honours the interval of days from the start time', () => {
    const s = rec({ frequency: 'Day', interval: 2, startTime: '2026-11-01T07:00:00', timeZone: 'UTC' });
    expect(iso(nextOccurrence(s, new Date('2026-11-01T08:00:00Z')))).toBe('2026-11-03T07:00:00.000Z');
  });

  it('runs every N minutes from the start', () => {
    const s = rec({ frequency: 'Minute', interval: 15, startTime: '2026-11-01T00:00:00', timeZone: 'UTC' });
    expect(iso(nextOccurrence(s, new Date('2026-11-01T00:16:00Z')))).toBe('2026-11-01T00:30:00.000Z');
  });
});

describe('lastOccurrenceIn', () => {
  it('answers the latest occurrence of a window and nothing for an empty one', () => {
    const s = cron('0 * * * *', 'UTC');
    expect(iso(lastOccurrenceIn(s, new Date('2026-11-01T00:30:00Z'), new Date('2026-11-01T03:10:00Z')))).toBe(
      '2026-11-01T03:00:00.000Z',
    );
    expect(
      lastOccurrenceIn(s, new Date('2026-11-01T03:00:00Z'), new Date('2026-11-01T03:59:00Z')),
    ).toBeUndefined();
  });
});

describe('instantOf', () => {
  it('round-trips an ordinary wall time', () => {
    expect(
      instantOf({ year: 2026, month: 7, day: 1, hour: 9, minute: 0 }, 'America/Los_Angeles').toISOString(),
    ).toBe('2026-07-01T16:00:00.000Z');
  });
});
