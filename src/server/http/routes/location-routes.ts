import { action, type RouteDef } from '../route-def.js';

const tag = 'Locations';

/** Locations, VM sizes (list-sizes) and quota usage (list-usage). */
export const locationRoutes: RouteDef[] = [
  {
    method: 'get',
    path: '/api/locations',
    action: action('locations/read'),
    tag,
    summary: 'List the locations the operator configured',
    handler: (i) =>
      Promise.resolve({
        status: 200,
        body: {
          value: i.services.locations
            .list()
            .map((l) => ({ name: l.name, displayName: l.displayName ?? l.name, providers: l.providers })),
        },
      }),
  },
  {
    method: 'get',
    path: '/api/locations/{location}/vmSizes',
    action: action('locations/vmSizes/read'),
    tag,
    summary: 'VM sizes offered in a location, with the GPUs the location really has',
    handler: (i) =>
      Promise.resolve({
        status: 200,
        body: { value: i.services.locations.vmSizesHere(i.params.location ?? '') },
      }),
  },
  {
    method: 'get',
    path: '/api/locations/{location}/usages',
    action: action('locations/usages/read'),
    tag,
    summary: "Core usage against quota, per VM family and for low priority, and the location's GPUs",
    handler: async (i) => {
      const location = i.params.location ?? '';
      const rows = await i.services.locations.usages(location);
      const gpus = i.services.locations.gpuUsage(location);
      return { status: 200, body: { value: gpus ? [...rows, gpus] : rows } };
    },
  },
];
