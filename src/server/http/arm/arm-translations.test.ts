import { describe, expect, it } from 'vitest';
import { HangarError } from '../../../domain/errors/hangar-error.js';
import { normalizeSdkComputeBody } from './arm-compute-body.js';
import { parseSweepSpec } from '../../../domain/sweeps/sweep-spec.js';
import { assetRef, environmentRef, restInput, restOutput, restSweep, specOfArmJob } from './arm-job-body.js';
import { operationHeaders, operationId, operationStatus, readOperationId } from './arm-operations.js';

const WS = '/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w';

describe('ARM command job → az ml job spec', () => {
  it('translates what jobs.create_or_update sends', () => {
    const { spec, codeId } = specOfArmJob({
      properties: {
        jobType: 'Command',
        command: 'python train.py --n ${{inputs.n}}',
        codeId: `${WS}/codes/abc/versions/1`,
        environmentId: 'azureml:AzureML-sklearn-1.5@latest',
        computeId: `${WS}/computes/cpu-cluster`,
        experimentName: 'exp',
        displayName: 'x',
        inputs: {
          n: { jobInputType: 'literal', value: '3' },
          data: { jobInputType: 'uri_folder', uri: 'azureml://datastores/d/paths/p/', mode: 'Download' },
        },
        outputs: { model: { jobOutputType: 'uri_folder', mode: 'Upload' } },
        environmentVariables: { A: '1' },
        limits: { jobLimitsType: 'Command', timeout: 'PT1H' },
        properties: { 'azureml.git.dirty': 'True' },
      },
    });
    expect(codeId).toBe(`${WS}/codes/abc/versions/1`);
    expect(spec).toEqual({
      type: 'command',
      command: 'python train.py --n ${{inputs.n}}',
      display_name: 'x',
      experiment_name: 'exp',
      properties: { 'azureml.git.dirty': 'True' },
      environment: 'azureml:AzureML-sklearn-1.5@latest',
      compute: 'azureml:cpu-cluster',
      environment_variables: { A: '1' },
      inputs: {
        n: '3',
        data: { type: 'uri_folder', path: 'azureml://datastores/d/paths/p/', mode: 'download' },
      },
      outputs: { model: { type: 'uri_folder', mode: 'upload' } },
      limits: { timeout: 3600 },
    });
    expect(environmentRef(`${WS}/environments/e/versions/2`)).toBe('azureml:e:2');
  });

  it('translates a Sweep body (command(...).sweep(...)) into a type: sweep spec the sweep parser takes, and back', () => {
    const { spec, codeId } = specOfArmJob({
      properties: {
        jobType: 'Sweep',
        computeId: `${WS}/computes/cpu-cluster`,
        experimentName: 'sweep-exp',
        inputs: { epochs: { jobInputType: 'literal', value: '2' } },
        outputs: {},
        limits: { jobLimitsType: 'Sweep', timeout: 'PT1H', maxConcurrentTrials: 1, maxTotalTrials: 2 },
        objective: { goal: 'maximize', primaryMetric: 'acc' },
        samplingAlgorithm: { samplingAlgorithmType: 'Random' },
        searchSpace: { n: ['choice', [[1, 2, 3]]], lr: ['uniform', [0.001, 0.1]] },
        earlyTermination: {
          policyType: 'Bandit',
          slackFactor: 0.2,
          slackAmount: 0,
          evaluationInterval: 0,
          delayEvaluation: 0,
        },
        trial: {
          codeId: `${WS}/codes/abc/versions/1`,
          command: 'python train.py --n ${{search_space.n}} --lr ${{search_space.lr}}',
          environmentId: 'azureml:AzureML-sklearn-1.5@latest',
          environmentVariables: { A: '1' },
          resources: { instanceCount: 1 },
        },
      },
    });
    expect(codeId).toBe(`${WS}/codes/abc/versions/1`);
    expect(spec).toEqual({
      type: 'sweep',
      experiment_name: 'sweep-exp',
      compute: 'azureml:cpu-cluster',
      inputs: { epochs: '2' },
      trial: {
        command: 'python train.py --n ${{search_space.n}} --lr ${{search_space.lr}}',
        environment: 'azureml:AzureML-sklearn-1.5@latest',
        environment_variables: { A: '1' },
        resources: { instance_count: 1 },
      },
      search_space: { n: ['choice', [[1, 2, 3]]], lr: ['uniform', [0.001, 0.1]] },
      sampling_algorithm: 'random',
      objective: { primary_metric: 'acc', goal: 'maximize' },
      limits: { max_total_trials: 2, max_concurrent_trials: 1, timeout: 3600 },
      early_termination: { type: 'bandit', slack_factor: 0.2, evaluation_interval: 0, delay_evaluation: 0 },
    });
    const config = parseSweepSpec(spec);
    expect(config.limits).toMatchObject({ maxTotalTrials: 2, maxConcurrentTrials: 1, timeoutSeconds: 3600 });
    expect(config.policy).toEqual({
      type: 'bandit',
      slack_factor: 0.2,
      evaluation_interval: 1,
      delay_evaluation: 0,
    });
    // What GET answers: the REST forms the SDK's SweepJob reads.
    expect(restSweep(config)).toMatchObject({
      searchSpace: { n: ['choice', [[1, 2, 3]]], lr: ['uniform', [0.001, 0.1]] },
      samplingAlgorithm: { samplingAlgorithmType: 'Random' },
      objective: { primaryMetric: 'acc', goal: 'maximize' },
      limits: { jobLimitsType: 'Sweep', maxTotalTrials: 2, maxConcurrentTrials: 1, timeout: 'PT3600S' },
      earlyTermination: { policyType: 'Bandit', slackFactor: 0.2, evaluationInterval: 1 },
    });
    const bad = (properties: Record<string, unknown>): unknown => {
      try {
        specOfArmJob({
          properties: { jobType: 'Sweep', computeId: 'c', trial: { command: 'x' }, ...properties },
        });
      } catch (e) {
        return e;
      }
      throw new Error('not refused');
    };
    expect(bad({ trial: {} })).toMatchObject({
      code: 'ValidationFailed',
      target: 'properties.trial.command',
    });
    expect(bad({ computeId: undefined })).toMatchObject({ target: 'properties.computeId' });
    expect(bad({ limits: { timeout: '1h' } })).toMatchObject({ target: 'properties.limits.timeout' });
  });

  it('refuses job types Hangar does not run here (Spark, AutoML) naming properties.jobType, and bad inputs naming the input', () => {
    const err = (body: unknown): HangarError => {
      try {
        specOfArmJob(body);
      } catch (e) {
        return e as HangarError;
      }
      throw new Error('not refused');
    };
    for (const jobType of ['Spark', 'AutoML'])
      expect(err({ properties: { jobType } })).toMatchObject({
        code: 'OperationNotSupported',
        target: 'properties.jobType',
      });
    expect(
      err({ properties: { jobType: 'Command', command: 'x', inputs: { a: { jobInputType: 'uri_file' } } } }),
    ).toMatchObject({ code: 'ValidationFailed', target: 'properties.inputs.a' });
  });

  it('reads data and model ARM ids (what the SDK resolves name@latest to) as azureml:name:version', () => {
    expect(assetRef(`azureml:${WS}/data/azureml:sdk-folder/versions/2`)).toBe('azureml:sdk-folder:2');
    expect(assetRef(`${WS}/models/m/versions/1`)).toBe('azureml:m:1');
    expect(assetRef('azureml://datastores/d/paths/p/')).toBe('azureml://datastores/d/paths/p/');
    const { spec } = specOfArmJob({
      properties: {
        jobType: 'Command',
        command: 'ls',
        inputs: { d: { jobInputType: 'uri_folder', uri: `azureml:${WS}/data/d/versions/3` } },
      },
    });
    expect(spec.inputs).toEqual({ d: { type: 'uri_folder', path: 'azureml:d:3' } });
  });

  it('renders spec inputs and outputs back in REST form', () => {
    expect(restInput(3)).toEqual({ jobInputType: 'literal', value: '3' });
    expect(restInput({ type: 'uri_file', path: 'p', mode: 'ro_mount' })).toEqual({
      jobInputType: 'uri_file',
      uri: 'p',
      mode: 'ReadOnlyMount',
    });
    expect(restOutput(null)).toEqual({ jobOutputType: 'uri_folder' });
  });
});

describe('compute bodies the SDK sends', () => {
  it('normalizes lower-case schedule actions, default-only instance fields and "Nonem" timeouts', () => {
    const body = {
      properties: {
        computeType: 'ComputeInstance',
        properties: {
          computeInstanceAuthorizationType: 'personal',
          enableNodePublicIp: true,
          schedules: { computeStartStop: [{ action: 'stop' }] },
          setupScripts: { scripts: { creationScript: { scriptData: 's.sh', timeout: 'Nonem' } } },
        },
      },
    };
    normalizeSdkComputeBody(body);
    expect(body.properties.properties).toEqual({
      schedules: { computeStartStop: [{ action: 'Stop' }] },
      setupScripts: { scripts: { creationScript: { scriptData: 's.sh' } } },
    });
  });
});

describe('long-running compute operations', () => {
  it('round-trip their id and refuse garbage as NotFound', () => {
    const ref = { n: 'c1', k: 'stop' as const, t: 5 };
    expect(readOperationId(operationId(ref))).toEqual(ref);
    expect(() => readOperationId('garbage')).toThrow(/No operation/);
  });

  it('point at a valid URL whatever names the path carried (CI found a NUL subscription answering 500)', () => {
    const input = {
      baseUrl: 'https://h:1',
      params: { subscription: '\0', resourceGroup: 'a b/c', workspace: 'w' },
    } as unknown as Parameters<typeof operationHeaders>[0];
    const headers = operationHeaders(input, { n: 'c1', k: 'delete', t: 1 });
    expect(() => new Headers(headers)).not.toThrow();
    const url = new URL(headers['Azure-AsyncOperation'] ?? '');
    expect(url.pathname).toMatch(/^\/subscriptions\/%00\/resourceGroups\/a%20b%2Fc\/providers\//);
  });

  it('derive status from the compute as it is now', () => {
    const c = (provisioningState: string, state?: string, restartPending = false) => ({
      provisioningState,
      ...(state ? { state } : {}),
      restartPending,
    });
    expect(operationStatus('put', c('Creating'))).toBe('InProgress');
    expect(operationStatus('put', c('Succeeded'))).toBe('Succeeded');
    expect(operationStatus('put', c('Succeeded', 'Starting'))).toBe('InProgress');
    expect(operationStatus('put', c('Failed'))).toBe('Failed');
    expect(operationStatus('delete', c('Deleting'))).toBe('InProgress');
    expect(operationStatus('delete', undefined)).toBe('Succeeded');
    expect(operationStatus('stop', c('Succeeded', 'Stopping'))).toBe('InProgress');
    expect(operationStatus('stop', c('Succeeded', 'Stopped'))).toBe('Succeeded');
    expect(operationStatus('start', c('Succeeded', 'SetupFailed'))).toBe('Failed');
    expect(operationStatus('restart', c('Succeeded', 'Running', true))).toBe('InProgress');
    expect(operationStatus('restart', c('Succeeded', 'Running'))).toBe('Succeeded');
  });

  it('keeps what the SDK sends for serverless jobs and services, so none is silently dropped', () => {
    const { spec } = specOfArmJob({
      properties: {
        jobType: 'Command',
        command: 'python t.py',
        resources: { instanceCount: 1, instanceType: 'Standard_DS3_v2' },
        queueSettings: { jobTier: 'Spot' },
        services: {
          Studio: { jobServiceType: 'Studio' },
          nb: { jobServiceType: 'JupyterLab' },
          remote: { jobServiceType: 'SSH' },
        },
      },
    });
    expect(spec.resources).toEqual({ instance_count: 1, instance_type: 'Standard_DS3_v2' });
    expect(spec.queue_settings).toEqual({ job_tier: 'spot' });
    expect(spec.services).toEqual({ nb: { type: 'jupyter_lab' }, remote: { type: 'ssh' } });
    expect(spec.compute).toBeUndefined();
  });
});
