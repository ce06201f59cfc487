import { z } from 'zod';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { kindOf } from '../../../domain/compute/compute-kinds.js';
import { action, route, type RouteDef } from '../route-def.js';

const tag = 'System metrics';

const series = z.object({
  name: z.string(),
  gpu: z.number().int().optional(),
  points: z.array(z.object({ time: z.string(), value: z.number() })),
});

const sinceQuery = z.object({
  since: z
    .string()
    .datetime({ offset: true, message: 'an ISO 8601 time such as 2026-01-31T12:00:00Z' })
    .optional()
    .describe('Only points at or after this time (ISO 8601)'),
});

const sinceMs = (since: string | undefined): number | undefined =>
  since === undefined ? undefined : Date.parse(since);

/** Job and node utilisation (CPU, memory, disk, network, GPUs) as Azure ML names its system metrics. */
export const systemMetricsRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/api/workspaces/{workspace}/jobs/{name}/systemMetrics',
    action: action('workspaces/jobs/read'),
    tag,
    summary:
      "A job's utilisation series (CpuUtilizationPercentage, GpuUtilization…) and hints such as an idle GPU",
    query: sinceQuery,
    response: {
      status: 200,
      description: 'Series by metric (per GPU where `gpu` is set) and hints',
      schema: z.object({ value: z.array(series), hints: z.array(z.string()) }),
    },
    handler: async (i) => {
      const { metrics, hints } = await i.services.systemMetrics.forJob(
        i.params.workspace ?? '',
        i.params.name ?? '',
        sinceMs(i.query.since),
      );
      return { status: 200, body: { value: metrics, hints } };
    },
  }),
  route({
    method: 'get',
    path: '/api/workspaces/{workspace}/computes/{name}/nodes/{nodeId}/metrics',
    action: action('workspaces/computes/read'),
    tag,
    summary: "A node's utilisation series (CPU, memory, disk, network, each GPU)",
    query: sinceQuery,
    response: {
      status: 200,
      description: 'Series by metric (per GPU where `gpu` is set)',
      schema: z.object({ value: z.array(series) }),
    },
    handler: async (i) => {
      const ws = i.params.workspace ?? '';
      const name = i.params.name ?? '';
      const compute = await i.services.computes.get(ws, name);
      if (!kindOf(compute.spec).getsNodes)
        throw new HangarError(
          'OperationNotSupported',
          `node metrics apply to clusters and instances; '${name}' is a ${compute.spec.computeType}.`,
          'name',
        );
      const value = await i.services.systemMetrics.forNode(
        ws,
        name,
        i.params.nodeId ?? '',
        sinceMs(i.query.since),
      );
      return { status: 200, body: { value } };
    },
  }),
];
