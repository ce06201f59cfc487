/** `provisioningState` → `provisioning_state`, the spelling az ml entities use. */
export function snakeCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** A value with every object key snake_cased, all the way down (for Hangar's own extra fields). */
export function snakeDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeDeep);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [snakeCase(k), snakeDeep(v)]));
  return value;
}

/** Drops undefined and null fields, as azure-ai-ml's schemas leave unset fields out of a dump. */
export function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null));
}

/** ISO-8601 duration (`PT2M`, `PT120S`, `PT1H`) in seconds; undefined when it is not one. */
export function durationSeconds(iso: unknown): number | undefined {
  if (typeof iso !== 'string') return undefined;
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!m) return undefined;
  const [, d, h, min, s] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60 + Number(s ?? 0);
}
