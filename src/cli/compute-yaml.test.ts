import { describe, expect, it } from 'vitest';
import { inYamlTerms, yamlFieldOf, yamlToComputeRequest } from './compute-yaml.js';

const noFile = (): string => {
  throw new Error('no file');
};

describe('compute YAML errors in YAML terms', () => {
  it('names a bad count or idle time by its YAML key, the rule and the value', () => {
    const bad = (doc: Record<string, unknown>): string => {
      try {
        yamlToComputeRequest({ name: 'c-1', type: 'amlcompute', ...doc }, noFile);
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ idle_time_before_scale_down: -3 })).toBe(
      'idle_time_before_scale_down: must be a whole number ≥ 0 (seconds); got -3',
    );
    expect(bad({ max_instances: 'abc' })).toBe(
      'max_instances: must be a whole number ≥ 0 (a number of nodes); got "abc"',
    );
    const ok = yamlToComputeRequest(
      { name: 'c-1', type: 'amlcompute', min_instances: '1', idle_time_before_scale_down: 60 },
      noFile,
    );
    expect(ok.body).toMatchObject({
      properties: {
        properties: { scaleSettings: { minNodeCount: 1, nodeIdleTimeBeforeScaleDown: 'PT60S' } },
      },
    });
  });

  it('maps server targets back to the YAML keys the user wrote', () => {
    expect(yamlFieldOf('properties.properties.scaleSettings.minNodeCount')).toBe('min_instances');
    expect(yamlFieldOf('properties.properties.vmSize')).toBe('size');
    expect(yamlFieldOf('properties.properties.userAccountCredentials')).toBe('ssh_settings');
    expect(yamlFieldOf('properties.properties.schedules.computeStartStop[0].cron')).toBe(
      'schedules.compute_start_stop[0].cron',
    );
    expect(
      yamlFieldOf('properties.properties.idleTimeBeforeShutdown', { idle_time_before_shutdown_minutes: 5 }),
    ).toBe('idle_time_before_shutdown_minutes');
    expect(yamlFieldOf('location')).toBe('location');
    expect(yamlFieldOf('properties.description')).toBe('description');
  });

  it('rewrites messages and details, saying the target once', () => {
    const said = inYamlTerms(
      {
        code: 'ValidationFailed',
        message:
          "properties.properties.scaleSettings.minNodeCount must be ≤ maxNodeCount (2); got 5; properties.properties.vmSize: 'X' is not a VM size",
        target: 'properties.properties.scaleSettings.minNodeCount',
        details: [
          {
            code: 'ValidationFailed',
            target: 'properties.properties.vmSize',
            message: "properties.properties.vmSize: 'X' is not a VM size in the catalog",
          },
          {
            code: 'ValidationFailed',
            target: 'properties.properties.userAccountCredentials',
            message:
              'properties.properties.userAccountCredentials needs adminUserName and an SSH public key or password when remoteLoginPortPublicAccess is Enabled',
          },
        ],
      },
      {},
    );
    expect(said.target).toBe('min_instances');
    expect(said.message).toBe("min_instances must be ≤ max_instances (2); got 5; size: 'X' is not a VM size");
    expect(said.details?.[0]).toMatchObject({
      target: 'size',
      message: "'X' is not a VM size in the catalog",
    });
    expect(said.details?.[1]?.message).toBe(
      'ssh_settings needs admin_username and an SSH public key or password when ssh_public_access_enabled is Enabled',
    );
    expect(JSON.stringify(said)).not.toContain('properties.properties');
  });
});
