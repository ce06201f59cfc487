/**
 * Which loops a wake-up concerns, by their `name`s: `only` these, or every loop `except` these
 * (absent: every loop). A change that cannot concern a loop need not cost a pass of it: at scale
 * (issue 22) a pass of the loops that read every active job was most of the server's time, and
 * every registration or status report woke them. Waking is only a latency aid: every loop still
 * runs at its interval, so a loop left out sees the change on its next pass.
 */
export type WakeScope = { only: readonly string[] } | { except: readonly string[] };

/** Whether a wake-up with `scope` (undefined: every loop) wakes the loop named `name`. */
export function wakes(scope: WakeScope | undefined, name: string): boolean {
  if (!scope) return true;
  return 'only' in scope ? scope.only.includes(name) : !scope.except.includes(name);
}

/** The loops either wake-up wakes, as one scope (undefined: every loop). */
export function unionScope(a: WakeScope | undefined, b: WakeScope | undefined): WakeScope | undefined {
  if (!a || !b) return undefined;
  if ('only' in a && 'only' in b) return { only: [...new Set([...a.only, ...b.only])] };
  // Every loop but those neither wakes.
  const except = [...('except' in a ? a.except : []), ...('except' in b ? b.except : [])].filter(
    (n) => !wakes(a, n) && !wakes(b, n),
  );
  const unique = [...new Set(except)];
  return unique.length > 0 ? { except: unique } : undefined;
}
