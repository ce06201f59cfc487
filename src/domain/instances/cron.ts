/** Five-field cron expressions (minute hour day-of-month month day-of-week), as Azure's schedules take them. */

/** A parsed cron expression: the allowed values of each field. */
export interface CronFields {
  minutes: number[];
  hours: number[];
  days: Set<number>;
  months: Set<number>;
  weekDays: Set<number>;
  /** Both day fields restricted: a day matches either (classic cron). */
  dayOr: boolean;
  daysRestricted: boolean;
  weekDaysRestricted: boolean;
}

const monthNames = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const dayNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function value(text: string, names: string[] | undefined, offset: number): number {
  const i = names?.indexOf(text.toUpperCase()) ?? -1;
  if (i >= 0) return i + offset;
  if (!/^\d+$/.test(text)) throw new Error(`'${text}' is not a number${names ? ' or name' : ''}`);
  return Number(text);
}

function field(
  text: string,
  min: number,
  max: number,
  label: string,
  names?: string[],
  nameOffset = 0,
): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new Error(`${label}: step '${stepText}' must be a positive whole number`);
    let lo = min;
    let hi = max;
    if (range !== '*') {
      const [a = '', b] = range.split('-');
      lo = value(a, names, nameOffset);
      hi = b === undefined ? (stepText === undefined ? lo : max) : value(b, names, nameOffset);
    }
    if (lo < min || hi > max || lo > hi) throw new Error(`${label}: '${part}' is outside ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

/** Parses a 5-field cron expression; throws an Error naming the bad field. */
export function parseCron(expression: string): CronFields {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new Error(`needs 5 fields (minute hour day month weekday); got ${parts.length}`);
  const [mi = '', h = '', dom = '', mon = '', dow = ''] = parts;
  const weekDays = new Set(field(dow, 0, 7, 'day-of-week', dayNames).map((d) => d % 7));
  const daysRestricted = dom !== '*';
  const weekDaysRestricted = dow !== '*';
  return {
    minutes: field(mi, 0, 59, 'minute'),
    hours: field(h, 0, 23, 'hour'),
    days: new Set(field(dom, 1, 31, 'day-of-month')),
    months: new Set(field(mon, 1, 12, 'month', monthNames, 1)),
    weekDays,
    dayOr: daysRestricted && weekDaysRestricted,
    daysRestricted,
    weekDaysRestricted,
  };
}

/** Whether a calendar date matches the cron day fields. */
export function cronDayMatches(c: CronFields, month: number, day: number, weekDay: number): boolean {
  if (!c.months.has(month)) return false;
  const dayOk = c.days.has(day);
  const weekOk = c.weekDays.has(weekDay);
  if (c.dayOr) return dayOk || weekOk;
  return (!c.daysRestricted || dayOk) && (!c.weekDaysRestricted || weekOk);
}
