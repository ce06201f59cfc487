import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, tempDir, waitFor } from '../helpers/processes.js';
import {
  adminToken,
  api,
  serverFetch,
  startServerProcess,
  type ServerProcess,
} from '../helpers/server-process.js';

/*
 * Files and script lines in the style of Azure/azureml-examples' cli/ folder, run unchanged: the
 * scripts call `az ml …`, and an `az` on PATH hands `ml …` to the built hangar CLI (the only
 * translation; the YAML and the flags are as an Azure ML user writes them).
 */
let server: ServerProcess;
const root = tempDir('hangar-azex-');

const files: Record<string, string> = {
  'resources/compute/cluster-basic.yml': `$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
name: basic-example
type: amlcompute
size: STANDARD_DS3_v2
min_instances: 0
max_instances: 2
idle_time_before_scale_down: 120
`,
  'jobs/basics/src/hello-iris.py': `import argparse, csv
parser = argparse.ArgumentParser()
parser.add_argument("--iris-csv", type=str)
parser.add_argument("--greeting", type=str)
args = parser.parse_args()
with open(args.iris_csv) as f:
    rows = list(csv.DictReader(f))
print(args.greeting, len(rows), "rows", sorted({r["species"] for r in rows}))
`,
  'jobs/basics/data/iris.csv': `sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.3,3.3,6.0,2.5,virginica
`,
  'jobs/basics/hello-iris-input.yml': `$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: |
  echo "--iris-csv: \${{inputs.iris_csv}}"
  python hello-iris.py --iris-csv \${{inputs.iris_csv}} --greeting \${{inputs.greeting}}
code: src
inputs:
  iris_csv:
    type: uri_file
    path: data/iris.csv
  greeting: hello
environment:
  image: library/python:latest
compute: azureml:cpu-cluster
display_name: hello-iris
experiment_name: azure-examples
description: Reads the iris CSV given as an input.
`,
  'jobs/single-step/pytorch/distributed/src/train.py': `import os
rank = int(os.environ["RANK"])
world = int(os.environ["WORLD_SIZE"])
print(f"rank {rank} of {world}, local rank {os.environ['LOCAL_RANK']}, master {os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}")
`,
  'jobs/single-step/pytorch/distributed/job.yml': `$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
code: src
command: >-
  python train.py
environment:
  image: library/python:latest
compute: azureml:cpu-cluster
resources:
  instance_count: 1
distribution:
  type: pytorch
  process_count_per_instance: 2
display_name: pytorch-distributed-example
experiment_name: azure-examples
`,
  // As cli/create-compute.sh and cli/resources/compute/*.sh do it.
  'create-compute.sh': `set -e
az ml compute create -n cpu-cluster --type amlcompute --min-instances 0 --max-instances 8
az ml compute create -f resources/compute/cluster-basic.yml
az ml compute update --name basic-example --max-instances 4
az ml compute show -n basic-example --query max_instances -o tsv --resource-group azureml-examples-rg --workspace-name default
az ml compute show -n cpu-cluster --query "[type, size]" -o tsv
`,
  // As cli/hello-world.sh and cli/run-job.sh do it: create, then poll the status with --query -o tsv.
  'run-job.sh': `job=$1
run_id=$(az ml job create -f $job --query name -o tsv)
if [[ -z "$run_id" ]]
then
  echo "Job creation failed"
  exit 3
fi
status=$(az ml job show -n $run_id --query status -o tsv)
if [[ -z "$status" ]]
then
  echo "Status query failed"
  exit 4
fi
running=("NotStarted" "Queued" "Starting" "Preparing" "Running" "Finalizing" "CancelRequested")
while [[ \${running[*]} =~ $status ]]
do
  sleep 1
  status=$(az ml job show -n $run_id --query status -o tsv)
done
echo "$run_id $status"
if [[ $status == "Completed" ]]
then
  echo "Job completed"
  exit 0
elif [[ $status == "Failed" ]]
then
  echo "Job failed"
  exit 1
else
  echo "Job not completed or failed. Status is $status"
  exit 2
fi
`,
};

/** Runs a script as the example repository does (bash, from the cli/ folder), with `az ml` → hangar. */
function runScript(script: string, args: string[] = []): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const token = adminToken(server.url);
    const child = spawn('bash', [join(root, script), ...args], {
      cwd: root,
      env: {
        PATH: `${join(root, 'bin')}:${process.env.PATH ?? ''}`,
        HOME: root,
        HANGAR_URL: server.url,
        ...(token ? { HANGAR_TOKEN: token } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

const job = async (name: string) =>
  (await api(server.url, 'GET', `/api/workspaces/default/jobs/${name}`)).body;
const log = async (name: string, file: string) =>
  (
    await serverFetch(
      `${server.url}/api/workspaces/default/jobs/${name}/logs?file=${encodeURIComponent(file)}`,
    )
  ).text();
/** The run id the script printed before its verdict. */
const runId = (out: string): string => /^(\S+) Completed$/m.exec(out)?.[1] ?? '';

beforeAll(async () => {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  mkdirSync(join(root, 'bin'));
  writeFileSync(
    join(root, 'bin', 'az'),
    `#!/bin/sh\n[ "$1" = ml ] || { echo "az: only 'az ml' is here" >&2; exit 2; }\nshift\nexec "${process.execPath}" "${cliPath}" "$@"\n`,
  );
  chmodSync(join(root, 'bin', 'az'), 0o755);
  server = await startServerProcess({
    config: { reconcileIntervalMs: 200, jobs: { heartbeatIntervalMs: 300 } },
  });
}, 60_000);

afterAll(async () => {
  for (const name of ['cpu-cluster', 'basic-example'])
    await api(server.url, 'DELETE', `/api/workspaces/default/computes/${name}`);
  await waitFor(
    async () => (await api(server.url, 'GET', '/api/workspaces/default/computes')).body.value.length === 0,
    'the clusters to go',
    60_000,
  );
  await server.stop();
}, 90_000);

describe('Azure ML example files and scripts, unchanged', () => {
  it('creates, updates and shows clusters as create-compute.sh does (--query … -o tsv)', async () => {
    const r = await runScript('create-compute.sh');
    expect(r.code, r.out).toBe(0);
    // The tsv the script's last two commands print (a list of scalars: one per line, as az prints it).
    expect(r.out).toMatch(/^4\namlcompute\nStandard_DS3_v2\n$/im);
    const basic = (await api(server.url, 'GET', '/api/workspaces/default/computes/basic-example')).body;
    expect(basic.properties.properties.scaleSettings).toMatchObject({
      minNodeCount: 0,
      maxNodeCount: 4,
      nodeIdleTimeBeforeScaleDown: 'PT120S',
    });
  }, 60_000);

  it('runs a command job with code, an environment and inputs; the status loop ends "Job completed"', async () => {
    const r = await runScript('run-job.sh', ['jobs/basics/hello-iris-input.yml']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('Job completed');
    const name = runId(r.out);
    expect(await log(name, 'user_logs/std_log.txt')).toContain(
      "hello 3 rows ['setosa', 'versicolor', 'virginica']",
    );
    const j = await job(name);
    expect(j.properties).toMatchObject({ displayName: 'hello-iris', experimentName: 'azure-examples' });
  }, 120_000);

  it('runs a pytorch-style distributed job (2 processes on one node), each with its rank and own log', async () => {
    const r = await runScript('run-job.sh', ['jobs/single-step/pytorch/distributed/job.yml']);
    expect(r.code, r.out).toBe(0);
    const name = runId(r.out);
    for (const rank of [0, 1])
      expect(await log(name, `user_logs/std_log_process_${rank}.txt`)).toMatch(
        new RegExp(`^rank ${rank} of 2, local rank ${rank}, master \\S+:\\d+\\n$`),
      );
    expect((await job(name)).properties.logFiles).toEqual([
      'user_logs/std_log.txt',
      'user_logs/std_log_process_0.txt',
      'user_logs/std_log_process_1.txt',
      'system_logs/agent.txt',
    ]);
  }, 120_000);
});
