import mlflowPackage from 'mlflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminToken, api, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// The npm `mlflow` client (an independent implementation of MLflow's REST contract) against
// Hangar's tracking routes, with the job's MLFLOW_TRACKING_URI as its endpoint.
let server: ServerProcess;
let tracking: string;
// index.js is `module.exports = require('./lib/mlflow').default`, which its typings do not
// describe; these are the calls the test makes, as the package documents them.
interface KeyValue {
  key: string;
  value: string;
}
interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}
interface MlflowClient {
  Runs: {
    logMetric(p: Metric & { run_id: string }): Promise<unknown>;
    logParameter(p: KeyValue & { run_id: string }): Promise<unknown>;
    setTag(p: KeyValue & { run_id: string }): Promise<unknown>;
    logBatch(p: {
      run_id: string;
      metrics: Metric[];
      params: KeyValue[];
      tags: KeyValue[];
    }): Promise<unknown>;
    get(p: { run_id: string }): Promise<{
      run: {
        info: Record<string, unknown>;
        data: { params: KeyValue[]; tags: KeyValue[]; metrics: Metric[] };
      };
    }>;
  };
  Metrics: { getHistory(p: { run_id: string; metric_key: string }): Promise<{ metrics: Metric[] }> };
}
const MLflow = mlflowPackage as unknown as new (options: {
  endpoint: string;
  headers?: Record<string, string>;
}) => MlflowClient;

beforeAll(async () => {
  // The client prints every request body to the console; keep the test output readable.
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  server = await startServerProcess({ config: { reconcileIntervalMs: 200 } });
  // A job sent to `local` exists (and waits for its submitter) without needing any node.
  const submitted = await api(server.url, 'PUT', '/api/workspaces/default/jobs/tracked', {
    spec: { command: 'true', compute: 'local', experiment_name: 'exp-a' },
  });
  expect(submitted.status).toBe(201);
  tracking = submitted.body.properties.mlflow.trackingUri;
}, 60_000);

afterAll(async () => {
  await api(server.url, 'POST', '/api/workspaces/default/jobs/tracked/cancel');
  await server.stop();
});

describe('MLflow REST routes through the npm mlflow client', () => {
  it('logs metrics, params and tags, and reads them back as MLflow answers', async () => {
    const client = new MLflow({
      endpoint: tracking,
      headers: { authorization: `Bearer ${adminToken(server.url) ?? ''}` },
    });
    const run_id = 'tracked';
    for (const [step, value] of [0.9, 0.5, 0.25].entries())
      await client.Runs.logMetric({ run_id, key: 'loss', value, timestamp: 1_700_000_000_000 + step, step });
    await client.Runs.logParameter({ run_id, key: 'lr', value: '0.1' });
    await client.Runs.setTag({ run_id, key: 'team', value: 'vision' });
    await client.Runs.logBatch({
      run_id,
      metrics: [{ key: 'acc', value: 0.8, timestamp: 1_700_000_000_100, step: 2 }],
      params: [{ key: 'epochs', value: '3' }],
      tags: [],
    });
    const history = await client.Metrics.getHistory({ run_id, metric_key: 'loss' });
    expect(history.metrics.map((m) => m.value)).toEqual([0.9, 0.5, 0.25]);
    const { run } = await client.Runs.get({ run_id });
    expect(run.info).toMatchObject({ run_id, experiment_id: 'exp-a' });
    expect(run.data.params).toEqual(
      expect.arrayContaining([
        { key: 'lr', value: '0.1' },
        { key: 'epochs', value: '3' },
      ]),
    );
    expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'vision' }]));
    expect(run.data.metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'loss', value: 0.25 }),
        expect.objectContaining({ key: 'acc', value: 0.8 }),
      ]),
    );
  });

  it('surfaces MLflow-style errors: a param logged twice with another value is refused', async () => {
    const client = new MLflow({
      endpoint: tracking,
      headers: { authorization: `Bearer ${adminToken(server.url) ?? ''}` },
    });
    await client.Runs.logParameter({ run_id: 'tracked', key: 'seed', value: '1' });
    await expect(client.Runs.logParameter({ run_id: 'tracked', key: 'seed', value: '2' })).rejects.toThrow(
      /400/,
    );
    await expect(
      client.Runs.logMetric({ run_id: 'no-such-run', key: 'x', value: 1, timestamp: 0, step: 0 }),
    ).rejects.toThrow(/404/);
  });
});
