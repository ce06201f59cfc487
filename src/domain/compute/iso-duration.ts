const pattern = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Parses an ISO 8601 duration (PnWnDTnHnMnS) into seconds; undefined when it is not one. */
export function parseIsoDuration(text: string): number | undefined {
  const m = pattern.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, w, d, h, min, s] = m;
  const n = (v: string | undefined): number => (v === undefined ? 0 : Number(v));
  return n(w) * 604800 + n(d) * 86400 + n(h) * 3600 + n(min) * 60 + n(s);
}

/** Seconds as the ISO 8601 form the API stores, e.g. 120 → "PT120S". */
export function secondsToIso(seconds: number): string {
  return `PT${seconds}S`;
}

/** Minutes as ISO 8601, e.g. 30 → "PT30M". */
export function minutesToIso(minutes: number): string {
  return `PT${minutes}M`;
}
