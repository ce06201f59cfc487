import type { ScheduleSpec } from '../compute/compute-schema.js';
import { decideIdle } from './idle.js';
import type { InstanceControl } from './instance.js';
import { lastOccurrenceIn, nextOccurrence, scheduleId } from './schedules.js';

/** One instance as the instance loop sees it. */
export interface InstanceSnapshot {
  control: InstanceControl;
  schedules: ScheduleSpec[];
  /** idleTimeBeforeShutdown in seconds, if set. */
  idleLimitSeconds?: number;
  /** Running or JobRunning: only then can it be idle and be stopped for it. */
  usable: boolean;
  busy: string[];
  /** Observed: since when it has been idle. */
  idleSince?: string;
  /** The instance was created at (schedules never fire for times before it). */
  createdAt: string;
}

/** What the loop should do for one instance. */
export interface InstanceDecision {
  /** Change the desired power state, with the reason (an event). */
  power?: {
    to: 'Running' | 'Stopped';
    reason: string;
    eventReason: 'IdleShutdown' | 'ScheduledStart' | 'ScheduledStop';
  };
  /** Bookkeeping to store on the record. */
  control: Partial<InstanceControl>;
  /** Observed fields to show. */
  observed: {
    idleSince?: string;
    activity?: string;
    nextScheduledStop?: { scheduleId: string; at: string; skipped: boolean } | null;
  };
  /** A scheduled stop the owner should now be told about. */
  notify?: { scheduleId: string; at: string };
  /** When the loop should look again (next schedule occurrence or idle deadline). */
  wakeAt?: Date;
}

function fireSchedules(
  s: InstanceSnapshot,
  now: Date,
  skipped: Set<string>,
): { fired?: { schedule: ScheduleSpec; id: string; at: Date }; skippedNow: string[] } {
  const from = new Date(
    Math.max(
      new Date(s.control.schedulesCheckedAt ?? s.createdAt).getTime(),
      new Date(s.createdAt).getTime(),
    ),
  );
  let fired: { schedule: ScheduleSpec; id: string; at: Date } | undefined;
  const skippedNow: string[] = [];
  s.schedules.forEach((schedule, i) => {
    if (schedule.status === 'Disabled') return;
    const at = lastOccurrenceIn(schedule, from, now);
    if (!at) return;
    const id = scheduleId(schedule, i);
    if (skipped.has(`${id}@${at.toISOString()}`)) skippedNow.push(`${id}@${at.toISOString()}`);
    else if (!fired || at > fired.at) fired = { schedule, id, at };
  });
  return { ...(fired ? { fired } : {}), skippedNow };
}

function nextStop(s: InstanceSnapshot, now: Date): { id: string; at: Date } | undefined {
  let best: { id: string; at: Date } | undefined;
  s.schedules.forEach((schedule, i) => {
    if (schedule.status === 'Disabled' || schedule.action !== 'Stop') return;
    const at = nextOccurrence(schedule, now);
    if (at && (!best || at < best.at)) best = { id: scheduleId(schedule, i), at };
  });
  return best;
}

function nextAny(s: InstanceSnapshot, now: Date): Date | undefined {
  const all = s.schedules
    .filter((x) => x.status !== 'Disabled')
    .map((x) => nextOccurrence(x, now))
    .filter((d): d is Date => d !== undefined);
  return all.length ? new Date(Math.min(...all.map((d) => d.getTime()))) : undefined;
}

/**
 * One instance, one pass: fire due schedules (the latest occurrence wins; skipped ones are
 * consumed), apply idle shutdown, announce the next scheduled stop `noticeMs` ahead.
 */
export function decideInstance(s: InstanceSnapshot, now: Date, noticeMs: number): InstanceDecision {
  const skipped = new Set(s.control.skipped ?? []);
  const { fired, skippedNow } = fireSchedules(s, now, skipped);
  const decision: InstanceDecision = { control: { schedulesCheckedAt: now.toISOString() }, observed: {} };
  if (skippedNow.length > 0) decision.control.skipped = [...skipped].filter((k) => !skippedNow.includes(k));
  const to = fired?.schedule.action === 'Start' ? 'Running' : 'Stopped';
  if (fired && to !== s.control.power) {
    decision.power = {
      to,
      reason: `schedule ${fired.id} (${fired.schedule.action} at ${fired.at.toISOString()})`,
      eventReason: fired.schedule.action === 'Start' ? 'ScheduledStart' : 'ScheduledStop',
    };
  }
  if (s.usable && s.control.power === 'Running') {
    const idle = decideIdle(
      {
        busy: s.busy,
        ...(s.idleSince ? { idleSince: s.idleSince } : {}),
        ...(s.control.idleClockResetAt ? { resetAt: s.control.idleClockResetAt } : {}),
        ...(s.idleLimitSeconds !== undefined ? { limitSeconds: s.idleLimitSeconds } : {}),
      },
      now,
    );
    decision.observed.activity = idle.activity;
    if (idle.idleSince) decision.observed.idleSince = idle.idleSince;
    if (idle.stopReason && !decision.power)
      decision.power = { to: 'Stopped', reason: idle.stopReason, eventReason: 'IdleShutdown' };
    if (idle.dueAt) decision.wakeAt = idle.dueAt;
  }
  const stop = nextStop(s, now);
  const keyOf = (x: { id: string; at: Date }): string => `${x.id}@${x.at.toISOString()}`;
  decision.observed.nextScheduledStop = stop
    ? { scheduleId: stop.id, at: stop.at.toISOString(), skipped: skipped.has(keyOf(stop)) }
    : null;
  if (
    stop &&
    s.control.power === 'Running' &&
    stop.at.getTime() - now.getTime() <= noticeMs &&
    s.control.notifiedStopAt !== keyOf(stop) &&
    !skipped.has(keyOf(stop))
  ) {
    decision.notify = { scheduleId: stop.id, at: stop.at.toISOString() };
    decision.control.notifiedStopAt = keyOf(stop);
  }
  const upcoming = nextAny(s, now);
  const notice = stop ? new Date(stop.at.getTime() - noticeMs) : undefined;
  const candidates = [decision.wakeAt, upcoming, notice && notice > now ? notice : undefined].filter(
    (d): d is Date => d !== undefined,
  );
  if (candidates.length) decision.wakeAt = new Date(Math.min(...candidates.map((d) => d.getTime())));
  return decision;
}
