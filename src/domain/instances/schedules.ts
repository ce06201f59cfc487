import type { ScheduleSpec } from '../compute/compute-schema.js';
import { resolveTimeZone } from '../compute/time-zones.js';
import { cronDayMatches, parseCron } from './cron.js';
import { addDays, daysBetween, instantOf, wallTimeOf, weekDayOf, type WallTime } from './zoned-time.js';

const weekDayNumbers: Record<string, number> = {
  Sunday: 0,
  Monday: 1,
  Tuesday: 2,
  Wednesday: 3,
  Thursday: 4,
  Friday: 5,
  Saturday: 6,
};

/** How far ahead occurrences are looked for (a 29 February cron fires within 8 years). */
const HORIZON_DAYS = 366 * 8;

interface DayRule {
  zone: string;
  /** Whether a local calendar date can hold occurrences. */
  dayMatches: (date: { year: number; month: number; day: number }) => boolean;
  /** Local times on a matching day, ascending. */
  times: { hour: number; minute: number }[];
}

function product(hours: number[], minutes: number[]): { hour: number; minute: number }[] {
  return hours
    .flatMap((hour) => minutes.map((minute) => ({ hour, minute })))
    .sort((a, b) => a.hour * 60 + a.minute - (b.hour * 60 + b.minute));
}

function startWall(startTime: string | undefined, zone: string): WallTime {
  if (!startTime) return { year: 2000, month: 1, day: 2, hour: 0, minute: 0 };
  // Azure writes startTime as a local wall time in the schedule's zone ("2026-03-01T18:00:00").
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(startTime);
  if (!m) return wallTimeOf(new Date(startTime), zone);
  return {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
  };
}

type Recurrence = NonNullable<ScheduleSpec['recurrence']>;

function recurrenceRule(r: Recurrence, zone: string): DayRule | { everyMinutes: number; anchor: Date } {
  const start = startWall(r.startTime, zone);
  const s = r.schedule;
  const hours = s?.hours.length ? s.hours : [start.hour];
  const minutes = s?.minutes.length ? s.minutes : [start.minute];
  if (r.frequency === 'Minute') return { everyMinutes: r.interval, anchor: instantOf(start, zone) };
  if (r.frequency === 'Hour') {
    if (!s?.minutes.length && !s?.hours.length)
      return { everyMinutes: r.interval * 60, anchor: instantOf(start, zone) };
    const hrs = Array.from({ length: 24 }, (_, h) => h).filter(
      (h) => (h - start.hour + 24 * r.interval) % r.interval === 0 || r.interval === 1,
    );
    return { zone, dayMatches: () => true, times: product(s.hours.length ? s.hours : hrs, minutes) };
  }
  const interval = r.interval;
  if (r.frequency === 'Day')
    return {
      zone,
      dayMatches: (d) => daysBetween(start, d) % interval === 0,
      times: product(hours, minutes),
    };
  if (r.frequency === 'Week') {
    const days = new Set((s?.weekDays ?? []).map((w) => weekDayNumbers[w] ?? -1));
    if (days.size === 0) days.add(weekDayOf(start.year, start.month, start.day));
    const weekStart = addDays(
      start.year,
      start.month,
      start.day,
      -weekDayOf(start.year, start.month, start.day),
    );
    return {
      zone,
      dayMatches: (d) =>
        days.has(weekDayOf(d.year, d.month, d.day)) &&
        Math.floor(daysBetween(weekStart, d) / 7) % interval === 0,
      times: product(hours, minutes),
    };
  }
  const monthDays = new Set(s?.monthDays?.length ? s.monthDays : [start.day]);
  return {
    zone,
    dayMatches: (d) =>
      monthDays.has(d.day) && ((d.year - start.year) * 12 + d.month - start.month) % interval === 0,
    times: product(hours, minutes),
  };
}

function cronRule(expression: string, zone: string): DayRule {
  const c = parseCron(expression);
  return {
    zone,
    dayMatches: (d) => cronDayMatches(c, d.month, d.day, weekDayOf(d.year, d.month, d.day)),
    times: product(c.hours, c.minutes),
  };
}

/**
 * The first occurrence of a schedule strictly after `after`, or undefined (disabled, bad, or none
 * within years). Times are wall times in the schedule's zone (Windows or IANA name), so a 20:00
 * stop stays at 20:00 local across DST changes; a time skipped by DST fires at the end of the gap.
 */
export function nextOccurrence(schedule: ScheduleSpec, after: Date): Date | undefined {
  const trigger = schedule.triggerType === 'Cron' ? schedule.cron : schedule.recurrence;
  if (!trigger) return undefined;
  const zone = resolveTimeZone(trigger.timeZone);
  if (!zone) return undefined;
  const rule =
    schedule.triggerType === 'Cron'
      ? cronRule(schedule.cron?.expression ?? '', zone)
      : recurrenceRule(schedule.recurrence as Recurrence, zone);
  const notBefore = trigger.startTime
    ? Math.max(after.getTime(), instantOf(startWall(trigger.startTime, zone), zone).getTime() - 1)
    : after.getTime();
  if ('everyMinutes' in rule) {
    const step = rule.everyMinutes * 60_000;
    const k = Math.max(0, Math.floor((notBefore - rule.anchor.getTime()) / step) + 1);
    return new Date(rule.anchor.getTime() + k * step);
  }
  const local = wallTimeOf(new Date(notBefore), zone);
  for (let i = 0; i <= HORIZON_DAYS; i++) {
    const date = addDays(local.year, local.month, local.day, i - 1);
    if (!rule.dayMatches(date)) continue;
    // On the starting day, times well before `notBefore` cannot qualify (2 h of slack covers DST).
    const skipBefore = i === 1 ? local.hour * 60 + local.minute - 120 : -Infinity;
    for (const t of rule.times) {
      if (t.hour * 60 + t.minute < skipBefore) continue;
      const at = instantOf({ ...date, ...t }, zone);
      if (at.getTime() > notBefore) return at;
    }
  }
  return undefined;
}

/** Occurrences older than this when the loop sees them are not acted on (the server was down). */
const LOOKBACK_MS = 24 * 3600_000;

/** The last occurrence in (from, to] (at most a day back), or undefined: what a loop that was away should fire now. */
export function lastOccurrenceIn(schedule: ScheduleSpec, from: Date, to: Date): Date | undefined {
  let last: Date | undefined;
  let cursor = new Date(Math.max(from.getTime(), to.getTime() - LOOKBACK_MS));
  // Bounded: a per-minute schedule over a long outage only needs its latest occurrence.
  for (let i = 0; i < 100_000; i++) {
    const next = nextOccurrence(schedule, cursor);
    if (!next || next > to) return last;
    last = next;
    cursor = next;
  }
  return last;
}

/** A schedule's identity within its instance: its id, or its position. */
export function scheduleId(schedule: ScheduleSpec, index: number): string {
  return schedule.id ?? `schedule-${index}`;
}
