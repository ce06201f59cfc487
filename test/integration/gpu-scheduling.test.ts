import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobFolder, waitForEnd } from '../helpers/job-fixtures.js';
import { tempDir, waitFor } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { api, serverFetch, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

// CI has no GPU: a fake nvidia-smi on the agents' PATH reports 4 GPUs, with the utilisation in util.csv.
const fake = tempDir('hangar-fake-gpu-');
const bin = join(fake, 'bin');
const utilFile = join(fake, 'util.csv');
const utilisation = [37, 0, 55, 80];
const setUtilisation = (values: number[]) =>
  writeFileSync(
    utilFile,
    values.map((u, i) => `${i}, ${u}, ${1000 * (i + 1)}, 16384, ${40 + i}`).join('\n') + '\n',
  );

let server: ServerProcess;
const cli = (args: string[]) => runCli(args, { url: server.url });
const compute = async (name: string) =>
  (await api(server.url, 'GET', `/api/workspaces/default/computes/${name}`)).body;
const log = async (name: string, file = 'user_logs/std_log.txt') =>
  (
    await serverFetch(
      `${server.url}/api/workspaces/default/jobs/${name}/logs?file=${encodeURIComponent(file)}`,
    )
  ).text();

async function createGpuCluster(name: string, vmSize: string, min: number, max: number): Promise<void> {
  const r = await api(server.url, 'PUT', `/api/workspaces/default/computes/${name}`, {
    properties: {
      computeType: 'AmlCompute',
      properties: {
        vmSize,
        scaleSettings: { minNodeCount: min, maxNodeCount: max, nodeIdleTimeBeforeScaleDown: 'PT600S' },
      },
    },
  });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
}

async function deleteCluster(name: string): Promise<void> {
  await api(server.url, 'DELETE', `/api/workspaces/default/computes/${name}`);
  await waitFor(async () => (await compute(name)).error?.code === 'NotFound', `${name} to go`, 60_000);
}

interface Series {
  name: string;
  gpu?: number;
  points: { time: string; value: number }[];
}

beforeAll(async () => {
  mkdirSync(bin);
  setUtilisation(utilisation);
  writeFileSync(
    join(bin, 'nvidia-smi'),
    [
      '#!/bin/sh',
      'case "$1" in',
      `  --query-gpu=index,name,memory.total) printf '0, Tesla T4, 16384\\n1, Tesla T4, 16384\\n2, Tesla T4, 16384\\n3, Tesla T4, 16384\\n' ;;`,
      `  --query-gpu=index,utilization.gpu*) cat '${utilFile}' ;;`,
      '  *) echo "fake nvidia-smi: unsupported $*" >&2; exit 2 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  server = await startServerProcess({
    config: {
      reconcileIntervalMs: 200,
      jobs: { heartbeatIntervalMs: 300 },
      metrics: { sampleIntervalSeconds: 1 },
    },
    env: { PATH: `${bin}:${process.env.PATH ?? ''}` },
  });
}, 60_000);

afterAll(async () => {
  for (const name of ['nc6', 'nc12'])
    await api(server.url, 'DELETE', `/api/workspaces/default/computes/${name}`);
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.length === 0,
    'the clusters to go',
    60_000,
  );
  await server.stop();
});

describe('GPUs on the local provider (fake nvidia-smi with 4 GPUs)', () => {
  it('gives 1-GPU nodes a GPU each, refuses the fifth with the reason, and jobs see only their node’s GPU', async () => {
    await createGpuCluster('nc6', 'Standard_NC6', 5, 5);
    try {
      const refused = await waitFor(
        async () => {
          const c = await compute('nc6');
          const p = c.properties.properties;
          return p.currentNodeCount === 4 && p.errors?.length ? p : undefined;
        },
        'four nodes and the refusal of the fifth on the cluster',
        60_000,
      );
      expect(refused.errors[0].message).toMatch(
        /Standard_NC6 needs 1 GPU\(s\) and 0 of this host's 4 are free \(held by nc6-\w+ \(\d\)/,
      );
      // Four nodes, never more: the host has four GPUs.
      await new Promise((r) => setTimeout(r, 1500));
      expect((await compute('nc6')).properties.properties.currentNodeCount).toBe(4);

      // Sizes and quota show what the location really has: four GPUs, all held by nc6's nodes.
      const sizes = (await cli(['compute', 'list-sizes', '-o', 'json'])).stdout;
      const byName = new Map((JSON.parse(sizes) as any[]).map((z) => [z.name, z]));
      expect(byName.get('Standard_NC24')).toMatchObject({ gpus: 4, gpus_available: 4, available: true });
      expect(byName.get('Standard_ND40rs_v2')).toMatchObject({
        gpus: 8,
        gpus_available: 4,
        available: false,
        unavailable_reason:
          "Standard_ND40rs_v2 needs 8 GPU(s) per node and this location's host has 4 GPU(s)",
      });
      const usage = (await api(server.url, 'GET', '/api/locations/local/usages')).body.value as any[];
      expect(usage.find((u) => u.name.value === 'gpus')).toMatchObject({ currentValue: 4, limit: 4 });
      expect(usage.find((u) => u.name.value === 'gpus').name.localizedValue).toContain('Tesla T4');

      // Each node holds its own GPU: four nodes, four different GPUs.
      // Once registered, each node reports the GPU it holds.
      const nodes = await waitFor(async () => {
        const v = (await api(server.url, 'GET', '/api/workspaces/default/computes/nc6/nodes')).body.value as {
          nodeId: string;
          gpus: number[];
        }[];
        return v.length === 4 && v.every((n) => n.gpus.length > 0) ? v : undefined;
      }, 'the four nodes to register');
      const gpuOf = new Map(nodes.map((n) => [n.nodeId, n.gpus]));
      expect(nodes.map((n) => n.gpus.length)).toEqual([1, 1, 1, 1]);
      expect(new Set(nodes.flatMap((n) => n.gpus))).toEqual(new Set([0, 1, 2, 3]));

      // A job sees exactly its node's GPU.
      const yml = jobFolder({
        command: 'echo "CUDA=$CUDA_VISIBLE_DEVICES"; sleep 5',
        compute: 'azureml:nc6',
      });
      for (const n of [1, 2])
        expect((await cli(['job', 'create', '-f', yml, '--name', `gpu-${n}`])).code).toBe(0);
      const seen: number[] = [];
      for (const n of [1, 2]) {
        const job = await waitForEnd(server.url, `gpu-${n}`, 90_000);
        expect(job.properties.status).toBe('Completed');
        const m = /CUDA=(\d+)\n/.exec(await log(`gpu-${n}`));
        expect(m, await log(`gpu-${n}`)).not.toBeNull();
        expect([Number(m?.[1])]).toEqual(gpuOf.get(job.properties.node));
        seen.push(Number(m?.[1]));
      }

      // Utilisation samples of the job's own GPU arrived and are readable (CLI).
      const shown = await cli(['job', 'metrics', '--system', '-n', 'gpu-1', '-o', 'json']);
      expect(shown.code, shown.stderr).toBe(0);
      const series = (JSON.parse(shown.stdout) as { value: Series[] }).value;
      const gpu = series.find((s) => s.name === 'GpuUtilization' && s.gpu === seen[0]);
      expect(gpu?.points.length).toBeGreaterThan(0);
      expect(new Set(gpu?.points.map((p) => p.value))).toEqual(new Set([utilisation[seen[0] ?? 0]]));
      // Only its own GPU, and its processes' CPU and memory.
      expect(series.filter((s) => s.name === 'GpuUtilization' && s.gpu !== undefined).length).toBe(1);
      expect(series.some((s) => s.name === 'CpuMemoryUtilizationMegabytes' && s.points.length > 0)).toBe(
        true,
      );

      // And the node's own metrics: every one of its GPUs (one), CPU, memory.
      const node = nodes[0]?.nodeId ?? '';
      const nodeMetrics = await waitFor(async () => {
        const r = await cli(['compute', 'show-metrics', '-n', 'nc6', '--node-id', node, '-o', 'json']);
        const v = (JSON.parse(r.stdout || '{"value":[]}') as { value: Series[] }).value;
        return v.some((s) => s.name === 'GpuUtilization' && s.gpu !== undefined) ? v : undefined;
      }, 'node samples');
      expect(nodeMetrics.filter((s) => s.name === 'GpuTemperature').length).toBe(1);
      expect(nodeMetrics.find((s) => s.name === 'CpuUtilizationPercentage')?.points.length).toBeGreaterThan(
        0,
      );
      const table = await cli(['compute', 'show-metrics', '-n', 'nc6', '--node-id', node, '-o', 'table']);
      expect(table.stdout).toMatch(/GpuUtilization \(GPU \d\)/);

      // A job that leaves its GPU idle all along gets a hint.
      setUtilisation([0, 0, 0, 0]);
      const idle = jobFolder({ command: 'sleep 6', compute: 'azureml:nc6' });
      expect((await cli(['job', 'create', '-f', idle, '--name', 'gpu-idle'])).code).toBe(0);
      expect((await waitForEnd(server.url, 'gpu-idle', 90_000)).properties.status).toBe('Completed');
      const hinted = await cli(['job', 'metrics', '--system', '-n', 'gpu-idle', '-o', 'table']);
      expect(hinted.stderr).toMatch(
        /Hint: GPU idle: the job's GPUs stayed at 0% utilisation in all \d+ samples;/,
      );
      setUtilisation(utilisation);

      // Bad input names the field.
      const bad = await api(
        server.url,
        'GET',
        '/api/workspaces/default/jobs/gpu-1/systemMetrics?since=yesterday',
      );
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('since');
    } finally {
      await deleteCluster('nc6');
    }
  }, 240_000);

  it('a 2-process job on a 2-GPU node gives each process one GPU', async () => {
    await createGpuCluster('nc12', 'Standard_NC12', 0, 1);
    try {
      const yml = jobFolder({
        command: 'echo "rank=$RANK local=$LOCAL_RANK gpu=$CUDA_VISIBLE_DEVICES"',
        compute: 'azureml:nc12',
        distribution: { type: 'pytorch', process_count_per_instance: 2 },
      });
      expect((await cli(['job', 'create', '-f', yml, '--name', 'two-gpus'])).code).toBe(0);
      expect((await waitForEnd(server.url, 'two-gpus', 90_000)).properties.status).toBe('Completed');
      const gpus = [];
      for (const rank of [0, 1]) {
        const text = await log('two-gpus', `user_logs/std_log_process_${rank}.txt`);
        const m = new RegExp(`^rank=${rank} local=${rank} gpu=(\\d)\\n$`).exec(text);
        expect(m, text).not.toBeNull();
        gpus.push(Number(m?.[1]));
      }
      expect(new Set(gpus).size).toBe(2);
    } finally {
      await deleteCluster('nc12');
    }
  }, 180_000);
});
