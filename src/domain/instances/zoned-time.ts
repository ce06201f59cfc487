/** Wall-clock arithmetic in an IANA time zone, DST included, with nothing but Intl. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** A local date and time in some zone (month 1–12). */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** The wall time an instant shows in `zone`. */
export function wallTimeOf(instant: Date, zone: string): WallTime {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
  };
}

/** UTC offset of `zone` at an instant, in ms (east positive). */
export function offsetMs(instantMs: number, zone: string): number {
  const w = wallTimeOf(new Date(instantMs), zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  return asUtc - Math.floor(instantMs / 60000) * 60000;
}

/**
 * The instant a wall time happens in `zone`. A time that occurs twice (DST ends) is its first
 * occurrence; a time that does not exist (DST starts) moves forward by the gap, as cron does.
 */
export function instantOf(w: WallTime, zone: string): Date {
  const wall = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  const before = offsetMs(wall - 12 * 3600_000, zone);
  const after = offsetMs(wall + 12 * 3600_000, zone);
  const valid = [...new Set([before, after])]
    .map((o) => wall - o)
    .filter((t) => offsetMs(t, zone) === wall - t);
  if (valid.length > 0) return new Date(Math.min(...valid));
  return new Date(wall - before);
}

/** Day of week (0 = Sunday) of a calendar date. */
export function weekDayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The calendar date `days` after the given one. */
export function addDays(
  year: number,
  month: number,
  day: number,
  days: number,
): { year: number; month: number; day: number } {
  const d = new Date(Date.UTC(year, month - 1, day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** Whole days between two calendar dates (b − a). */
export function daysBetween(
  a: { year: number; month: number; day: number },
  b: { year: number; month: number; day: number },
): number {
  return Math.round(
    (Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86400_000,
  );
}
