import type { ReactNode } from 'react';
import type { ScheduleSpec } from '../../../src/domain/compute/compute-schema.js';
import { resolveTimeZone } from '../../../src/domain/compute/time-zones.js';
import { nextOccurrence } from '../../../src/domain/instances/schedules.js';
import { Field } from '../components/ui.js';
import { newSchedule, weekDays, type Schedule } from './schedule-model.js';

export type { Schedule };

const numbers = (s: string): number[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map(Number);

/** When the schedule fires next, computed by the server's own rules (or why it cannot fire). */
function preview(s: Schedule, now: Date): string {
  const zone = (s.triggerType === 'Cron' ? s.cron?.timeZone : s.recurrence?.timeZone) ?? 'UTC';
  if (!resolveTimeZone(zone))
    return `Unknown time zone ${JSON.stringify(zone)}: use an IANA name (Europe/Paris) or a Windows one (Pacific Standard Time).`;
  if (s.status === 'Disabled') return 'Disabled: it does not fire.';
  try {
    const next = nextOccurrence(
      {
        ...s,
        [s.triggerType === 'Cron' ? 'cron' : 'recurrence']: {
          ...(s.triggerType === 'Cron' ? s.cron : s.recurrence),
          timeZone: zone,
        },
      } as ScheduleSpec,
      now,
    );
    return next
      ? `Next ${s.action.toLowerCase()}: ${next.toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' })} (your time).`
      : 'It never fires in the coming years.';
  } catch (err) {
    return (err as Error).message;
  }
}

function ScheduleRow({
  s,
  i,
  onChange,
  onRemove,
}: {
  s: Schedule;
  i: number;
  onChange: (s: Schedule) => void;
  onRemove: () => void;
}): ReactNode {
  const rec = s.recurrence ?? { frequency: 'Day', interval: 1, schedule: { hours: [18], minutes: [0] } };
  const tz = s.triggerType === 'Cron' ? s.cron?.timeZone : rec.timeZone;
  const setTz = (timeZone: string): void =>
    onChange(
      s.triggerType === 'Cron'
        ? { ...s, cron: { expression: s.cron?.expression ?? '', timeZone } }
        : { ...s, recurrence: { ...rec, timeZone } },
    );
  const setRec = (patch: Partial<typeof rec>): void => onChange({ ...s, recurrence: { ...rec, ...patch } });
  return (
    <fieldset className="schedule">
      <legend>Schedule {i + 1}</legend>
      <div className="row">
        <Field label="Action">
          {(id) => (
            <select
              id={id}
              value={s.action}
              onChange={(e) => onChange({ ...s, action: e.target.value as Schedule['action'] })}
            >
              <option>Start</option>
              <option>Stop</option>
            </select>
          )}
        </Field>
        <Field label="Trigger">
          {(id) => (
            <select
              id={id}
              value={s.triggerType}
              onChange={(e) =>
                onChange(
                  e.target.value === 'Cron'
                    ? {
                        action: s.action,
                        status: s.status,
                        triggerType: 'Cron',
                        cron: { expression: '0 18 * * 1-5', ...(tz ? { timeZone: tz } : {}) },
                      }
                    : { ...newSchedule(), action: s.action, status: s.status },
                )
              }
            >
              <option value="Recurrence">Recurrence</option>
              <option value="Cron">Cron</option>
            </select>
          )}
        </Field>
        <Field label="Time zone" hint="IANA (Europe/Paris) or Windows (Pacific Standard Time) name">
          {(id, d) => (
            <input id={id} aria-describedby={d} value={tz ?? ''} onChange={(e) => setTz(e.target.value)} />
          )}
        </Field>
        <label className="inline-check">
          <input
            type="checkbox"
            checked={s.status === 'Enabled'}
            onChange={(e) => onChange({ ...s, status: e.target.checked ? 'Enabled' : 'Disabled' })}
          />{' '}
          Enabled
        </label>
      </div>
      {s.triggerType === 'Cron' ? (
        <Field label="Cron expression" hint="minute hour day-of-month month day-of-week">
          {(id, d) => (
            <input
              id={id}
              aria-describedby={d}
              value={s.cron?.expression ?? ''}
              onChange={(e) => onChange({ ...s, cron: { ...s.cron, expression: e.target.value } })}
            />
          )}
        </Field>
      ) : (
        <div className="row">
          <Field label="Frequency">
            {(id) => (
              <select id={id} value={rec.frequency} onChange={(e) => setRec({ frequency: e.target.value })}>
                {['Minute', 'Hour', 'Day', 'Week', 'Month'].map((f) => (
                  <option key={f}>{f}</option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Every">
            {(id) => (
              <input
                id={id}
                type="number"
                min={1}
                value={rec.interval}
                onChange={(e) => setRec({ interval: Number(e.target.value) })}
              />
            )}
          </Field>
          <Field label="Hours (comma separated)">
            {(id) => (
              <input
                id={id}
                value={rec.schedule.hours.join(',')}
                onChange={(e) => setRec({ schedule: { ...rec.schedule, hours: numbers(e.target.value) } })}
              />
            )}
          </Field>
          <Field label="Minutes (comma separated)">
            {(id) => (
              <input
                id={id}
                value={rec.schedule.minutes.join(',')}
                onChange={(e) => setRec({ schedule: { ...rec.schedule, minutes: numbers(e.target.value) } })}
              />
            )}
          </Field>
          {rec.frequency === 'Week' && (
            <fieldset className="inline">
              <legend>Days</legend>
              {weekDays.map((d) => (
                <label key={d}>
                  <input
                    type="checkbox"
                    checked={rec.schedule.weekDays?.includes(d) ?? false}
                    onChange={(e) =>
                      setRec({
                        schedule: {
                          ...rec.schedule,
                          weekDays: e.target.checked
                            ? [...(rec.schedule.weekDays ?? []), d]
                            : (rec.schedule.weekDays ?? []).filter((x) => x !== d),
                        },
                      })
                    }
                  />{' '}
                  {d.slice(0, 3)}
                </label>
              ))}
            </fieldset>
          )}
        </div>
      )}
      <p className="hint" aria-live="polite" data-next>
        {preview(s, new Date())}
      </p>
      <button type="button" onClick={onRemove}>
        Remove schedule {i + 1}
      </button>
    </fieldset>
  );
}

/** Up to four start/stop schedules (the server checks each: zone, cron fields, limits). */
export function SchedulesEditor({
  value,
  onChange,
}: {
  value: Schedule[];
  onChange: (v: Schedule[]) => void;
}): ReactNode {
  return (
    <div className="schedules">
      {value.length === 0 && (
        <p className="hint">No schedules: the instance runs until stopped (or idle shutdown stops it).</p>
      )}
      {value.map((s, i) => (
        <ScheduleRow
          key={i}
          s={s}
          i={i}
          onChange={(n) => onChange(value.map((x, j) => (j === i ? n : x)))}
          onRemove={() => onChange(value.filter((_, j) => j !== i))}
        />
      ))}
      <button type="button" disabled={value.length >= 4} onClick={() => onChange([...value, newSchedule()])}>
        Add schedule
      </button>
    </div>
  );
}
