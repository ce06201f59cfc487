import { errorCatalogue } from '../../../domain/errors/error-catalogue.js';
import type { RouteDef } from '../route-def.js';

/** Health and the error catalogue (the OpenAPI route is added by the app, which knows every route). */
export const metaRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/api/health',
    action: 'Hangar/health/read',
    auth: 'public',
    tag: 'Meta',
    summary: 'Liveness and store version',
    handler: (i) =>
      Promise.resolve({
        status: 200,
        body: { status: 'ok', time: i.services.ctx.clock.now().toISOString() },
      }),
  },
  {
    method: 'get',
    path: '/api/errors',
    action: 'Hangar/errors/read',
    auth: 'public',
    tag: 'Meta',
    summary: 'The catalogue of error codes',
    handler: () =>
      Promise.resolve({
        status: 200,
        body: {
          value: Object.entries(errorCatalogue).map(([code, e]) => ({
            code,
            status: e.status,
            description: e.description,
          })),
        },
      }),
  },
];
