/**
 * The environment a child process inherits; the one sanctioned read of process.env outside loaders.
 * Its own module: `hangar agent` needs it without the config loader (yaml, schemas) at startup.
 */
export function inheritedEnv(): Record<string, string | undefined> {
  return { ...process.env };
}
