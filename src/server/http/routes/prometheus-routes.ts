import { timingSafeEqual } from 'node:crypto';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { identify } from '../caller.js';
import type { Services } from '../../services/services.js';
import { action, type RouteDef } from '../route-def.js';

/** The action a principal needs at the server scope `/` to scrape (Reader has it: `*\/read`). */
export const scrapeAction = action('metrics/read');

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may scrape: anyone when `metrics.public`; else the bearer `metrics.token` (what a Prometheus
 * scrape config holds), or any principal with read at the server scope (Reader on `/`, admins).
 */
async function authorizeScrape(
  services: Services,
  authorization: string | undefined,
  cookie: string | undefined,
) {
  const config = services.ctx.config.metrics;
  if (config.public) return;
  const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (config.token && bearer && sameSecret(bearer, config.token)) return;
  const principal = await identify(services, authorization, cookie);
  if (!principal)
    throw new HangarError(
      'Unauthenticated',
      'GET /metrics needs credentials: the bearer token of metrics.token in the server config, or a token of a principal with Reader at the server scope.',
      'Authorization',
    );
  await services.access.check(principal, scrapeAction, { kind: 'root' });
}

/** GET /metrics: the server's state and measurements in the Prometheus text format. */
export const prometheusRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/metrics',
    action: scrapeAction,
    // Its own check (a scrape token or a role), made in the handler; see authorizeScrape.
    auth: 'public',
    tag: 'Meta',
    summary:
      'Prometheus metrics: jobs by state, queue wait and time to Running, nodes by state, loop and API latencies, node and GPU utilisation (metrics.token or Reader at /)',
    raw: async (c, i) => {
      await authorizeScrape(i.services, c.req.header('authorization'), c.req.header('cookie'));
      const text =
        (await i.services.systemMetrics.prometheusText(i.services.telemetry.families())) +
        (await i.services.endpoints.prometheusText());
      return c.body(text, 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    },
  },
];
