import type { Context, Next } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { ServerTelemetry } from './server-telemetry.js';

/**
 * Hono middleware timing every request by route template (`/api/workspaces/:workspace/jobs/:name`,
 * never the concrete path, so the label set stays small), method and status class.
 */
export function apiLatency(telemetry: ServerTelemetry) {
  return async (c: Context, next: Next): Promise<void> => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const handler = matchedRoutes(c)
        .filter((r) => r.method !== 'ALL')
        .at(-1);
      telemetry.api.observe(
        {
          method: c.req.method,
          route: handler?.path ?? 'unmatched',
          status: `${Math.floor(c.res.status / 100)}xx`,
        },
        (performance.now() - started) / 1000,
      );
    }
  };
}
