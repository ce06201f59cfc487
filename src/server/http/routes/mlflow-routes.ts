import { z } from 'zod';
import { action, route, type RouteDef, type RouteInput } from '../route-def.js';

/** MLFLOW_TRACKING_URI of a job is `<server>/api/workspaces/<ws>/mlflow`; MLflow appends these paths. */
const base = '/api/workspaces/{workspace}/mlflow/api/2.0/mlflow';
const tag = 'MLflow tracking';
const ws = (i: Pick<RouteInput, 'params'>): string => i.params.workspace ?? '';
const act = action('workspaces/jobs/write');

const metricSchema = z.object({
  key: z.string().min(1),
  value: z.number(),
  timestamp: z.number().int().optional(),
  step: z.number().int().optional(),
});
const kvSchema = z.object({ key: z.string().min(1), value: z.string() });
const logMetricSchema = metricSchema.extend({
  run_id: z.string().min(1).optional(),
  run_uuid: z.string().optional(),
});
const kvRunSchema = kvSchema.extend({
  run_id: z.string().min(1).optional(),
  run_uuid: z.string().optional(),
});
const logBatchSchema = z.object({
  run_id: z.string().min(1),
  metrics: z.array(metricSchema).default([]),
  params: z.array(kvSchema).default([]),
  tags: z.array(kvSchema).default([]),
});
const updateSchema = z.object({
  run_id: z.string().min(1).optional(),
  run_uuid: z.string().optional(),
  status: z.string().optional(),
  end_time: z.number().optional(),
  run_name: z.string().optional(),
});

type Metric = z.infer<typeof metricSchema>;
const point = (m: Metric, now: number) => ({
  key: m.key,
  value: m.value,
  timestamp: m.timestamp ?? now,
  step: m.step ?? 0,
});
const runIdOf = (b: { run_id?: string | undefined; run_uuid?: string | undefined }): string | undefined =>
  b.run_id ?? b.run_uuid;

/** The MLflow tracking REST routes that mlflow.log_metric/log_param/set_tag/log_batch use. */
export const mlflowRoutes: RouteDef[] = [
  route({
    method: 'post',
    path: `${base}/runs/log-metric`,
    action: act,
    tag,
    summary: 'MLflow: log one metric value',
    body: logMetricSchema,
    handler: async (i) => {
      const b = i.body;
      await i.services.mlflow.logMetrics(ws(i), runIdOf(b), [point(b, i.services.ctx.clock.now().getTime())]);
      return { status: 200, body: {} };
    },
  }),
  route({
    method: 'post',
    path: `${base}/runs/log-parameter`,
    action: act,
    tag,
    summary: 'MLflow: log a param (write-once)',
    body: kvRunSchema,
    handler: async (i) => {
      const b = i.body;
      await i.services.mlflow.logParams(ws(i), runIdOf(b), [{ key: b.key, value: b.value }]);
      return { status: 200, body: {} };
    },
  }),
  route({
    method: 'post',
    path: `${base}/runs/set-tag`,
    action: act,
    tag,
    summary: 'MLflow: set a tag',
    body: kvRunSchema,
    handler: async (i) => {
      const b = i.body;
      await i.services.mlflow.setTags(ws(i), runIdOf(b), [{ key: b.key, value: b.value }]);
      return { status: 200, body: {} };
    },
  }),
  route({
    method: 'post',
    path: `${base}/runs/log-batch`,
    action: act,
    tag,
    summary: 'MLflow: log metrics, params and tags at once',
    body: logBatchSchema,
    handler: async (i) => {
      const b = i.body;
      const now = i.services.ctx.clock.now().getTime();
      await i.services.mlflow.logParams(ws(i), b.run_id, b.params);
      await i.services.mlflow.logMetrics(
        ws(i),
        b.run_id,
        b.metrics.map((m) => point(m, now)),
      );
      await i.services.mlflow.setTags(ws(i), b.run_id, b.tags);
      return { status: 200, body: {} };
    },
  }),
  {
    method: 'get',
    path: `${base}/runs/get`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'MLflow: get a run (latest metrics, params, tags)',
    query: [{ name: 'run_id', description: 'The job name', required: true }],
    handler: async (i) => ({
      status: 200,
      body: { run: await i.services.mlflow.run(ws(i), i.query.run_id ?? i.query.run_uuid) },
    }),
  },
  route({
    method: 'post',
    path: `${base}/runs/update`,
    action: act,
    tag,
    summary: "MLflow: update a run (the job's status stays Hangar's)",
    body: updateSchema,
    handler: async (i) => {
      const b = i.body;
      const run = await i.services.mlflow.run(ws(i), runIdOf(b));
      return { status: 200, body: { run_info: run.info } };
    },
  }),
  {
    method: 'get',
    path: `${base}/metrics/get-history`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'MLflow: every value of one metric',
    query: [
      { name: 'run_id', description: 'The job name', required: true },
      { name: 'metric_key', description: 'Metric name', required: true },
    ],
    handler: async (i) => ({
      status: 200,
      body: {
        metrics: await i.services.mlflow.history(
          ws(i),
          i.query.run_id ?? i.query.run_uuid,
          i.query.metric_key,
        ),
      },
    }),
  },
  {
    method: 'get',
    path: `${base}/experiments/get-by-name`,
    action: action('workspaces/jobs/read'),
    tag,
    summary: 'MLflow: an experiment (experiment_id = its name)',
    query: [{ name: 'experiment_name', description: 'Experiment name', required: true }],
    handler: (i) =>
      Promise.resolve({
        status: 200,
        body: {
          experiment: {
            experiment_id: i.query.experiment_name ?? '',
            name: i.query.experiment_name ?? '',
            lifecycle_stage: 'active',
          },
        },
      }),
  },
];
