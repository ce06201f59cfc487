import { describe, expect, it } from 'vitest';
import { environmentShape } from './environment-shape.js';
import { jobShape } from './job-shape.js';
import { workspaceShape } from './workspace-shape.js';

describe('jobShape', () => {
  it('prints a job as az ml job show does: flat YAML keys, status, services, creation_context', () => {
    const shaped = jobShape({
      id: '/workspaces/ws/jobs/j1',
      name: 'j1',
      systemData: { createdAt: '2026-01-01T00:00:00.000Z', lastModifiedAt: '2026-01-01T00:01:00.000Z' },
      properties: {
        jobType: 'Command',
        status: 'Completed',
        statusReason: 'exit code 0',
        displayName: 'first',
        experimentName: 'exp',
        tags: { a: '1' },
        properties: { p: 'v' },
        isArchived: false,
        computeId: 'cpu',
        command: 'python train.py',
        environmentId: 'azureml:sk:1',
        environmentVariables: { A: 'b' },
        inputs: { data: { type: 'uri_folder', path: './data' } },
        outputs: {},
        resources: { instance_count: 1 },
        codeId: 'abc',
        exitCode: 0,
        maxAttempts: 1,
        mlflow: { trackingUri: 'http://h:7080/api/workspaces/ws/mlflow', runId: 'j1' },
      },
    });
    expect(shaped).toEqual({
      name: 'j1',
      id: '/workspaces/ws/jobs/j1',
      type: 'command',
      display_name: 'first',
      tags: { a: '1' },
      properties: { p: 'v' },
      status: 'Completed',
      experiment_name: 'exp',
      compute: 'azureml:cpu',
      command: 'python train.py',
      code: 'abc',
      environment: 'azureml:sk:1',
      environment_variables: { A: 'b' },
      inputs: { data: { type: 'uri_folder', path: './data' } },
      outputs: {},
      resources: { instance_count: 1 },
      services: {
        Studio: { endpoint: 'http://h:7080/jobs/j1', job_service_type: 'Studio' },
        Tracking: { endpoint: 'http://h:7080/api/workspaces/ws/mlflow', job_service_type: 'Tracking' },
      },
      creation_context: {
        created_at: '2026-01-01T00:00:00.000Z',
        last_modified_at: '2026-01-01T00:01:00.000Z',
      },
      status_reason: 'exit code 0',
      exit_code: 0,
      max_attempts: 1,
    });
  });

  it('shows archived and child jobs, and passes fields it does not know through snake_cased', () => {
    const shaped = jobShape({
      id: 'x',
      name: 'j1_rank1',
      properties: {
        isArchived: true,
        parentJobName: 'j1',
        logFiles: ['user_logs/std_log.txt'],
        newThing: { aB: 1 },
      },
    });
    expect(shaped).toMatchObject({
      is_archived: true,
      parent_job_name: 'j1',
      log_files: ['user_logs/std_log.txt'],
      new_thing: { a_b: 1 },
    });
  });
});

describe('workspaceShape and environmentShape', () => {
  it('gives the workspace its mlflow_tracking_uri', () => {
    expect(
      workspaceShape(
        { name: 'ws', location: 'local', properties: { tags: {}, locks: [] } },
        'http://h:7080/',
      ),
    ).toMatchObject({
      name: 'ws',
      location: 'local',
      mlflow_tracking_uri: 'http://h:7080/api/workspaces/ws/mlflow',
    });
  });

  it('prints an environment version flat', () => {
    expect(
      environmentShape({
        id: '/workspaces/ws/environments/e/versions/1',
        name: 'e',
        version: '1',
        properties: { image: 'python:3.12', tags: {}, createdAt: 't', definitionKind: 'image' },
      }),
    ).toEqual({
      name: 'e',
      version: '1',
      id: '/workspaces/ws/environments/e/versions/1',
      tags: {},
      image: 'python:3.12',
      creation_context: { created_at: 't' },
    });
  });
});
