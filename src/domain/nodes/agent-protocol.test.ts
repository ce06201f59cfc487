import { describe, expect, it } from 'vitest';
import { zodProblems } from '../errors/zod-problems.js';
import type { Problem } from '../errors/hangar-error.js';
import {
  agentCalls,
  agentPath,
  heartbeatRequestSchema,
  jobAssignmentSchema,
  logChunkSchema,
  logLengthQuerySchema,
  registerRequestSchema,
  type HeartbeatRequest,
} from './agent-protocol.js';
import type { z } from 'zod';
import { instanceConfigSchema } from '../instances/instance.js';

/** The problems a schema finds in a value, as the API answers them. */
function problems(schema: z.ZodType, value: unknown): Problem[] {
  const r = schema.safeParse(value);
  return r.success ? [] : zodProblems(r.error, value);
}

const report = {
  setup: { phase: 'succeeded', log: '' },
  apps: [{ name: 'jupyter', kind: 'jupyter', running: true, port: 8888 }],
  jupyterKernels: 0,
  terminals: 1,
  appToken: 'a'.repeat(32),
};

describe('agent protocol schemas', () => {
  it('accepts a heartbeat as the agent sends it, typed as HeartbeatRequest', () => {
    const beat: HeartbeatRequest = {
      running: [{ jobId: 'default~j1', attempt: 1, state: 'running' }],
      instance: report as HeartbeatRequest['instance'],
    };
    expect(heartbeatRequestSchema.parse(beat)).toEqual(beat);
  });

  it('names the field, the rule and the value of a bad heartbeat', () => {
    const found = problems(heartbeatRequestSchema, {
      running: [{ jobId: 'default~j1', attempt: 0, state: 'running' }],
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'ValidationFailed', target: 'running.0.attempt' });
    expect(found[0]?.message).toMatch(/^running\.0\.attempt: .*>=1.*; got 0$/);
  });

  it('checks the instance report a heartbeat carries (app token length, app kind)', () => {
    const found = problems(heartbeatRequestSchema, {
      running: [],
      instance: { ...report, appToken: 'short', apps: [{ name: 'x', kind: 'vnc', running: false }] },
    });
    expect(found.map((p) => p.target).sort()).toEqual(['instance.appToken', 'instance.apps.0.kind']);
    expect(found.find((p) => p.target === 'instance.appToken')?.message).toContain('got "short"');
  });

  it("checks the server's CA an assignment carries (a PEM certificate, or nothing when TLS is off)", () => {
    const assignment = {
      jobId: 'default~j1',
      attempt: 1,
      command: 'true',
      inputs: [],
      environment: { kind: 'user-managed' },
      env: {},
      graceSeconds: 5,
    };
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(problems(jobAssignmentSchema, assignment)).toEqual([]);
    expect(problems(jobAssignmentSchema, { ...assignment, caPem: pem })).toEqual([]);
    const found = problems(jobAssignmentSchema, { ...assignment, caPem: 'hello' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'ValidationFailed', target: 'caPem' });
    expect(found[0]?.message).toMatch(/^caPem: .*BEGIN CERTIFICATE.*; got "hello"$/);
  });

  it("checks the Azure ML SDK settings an instance's config carries (the server's CA is a PEM certificate)", () => {
    const config = {
      appsPrefix: '/apps/default/dev/',
      user: 'azureuser',
      ssh: { enabled: false, authorizedKeys: [] },
      setupScripts: {},
      customApps: [],
    };
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const sdk = { env: { AZUREML_ARM_WORKSPACE_NAME: 'default' }, caPem: pem };
    expect(problems(instanceConfigSchema, config)).toEqual([]);
    expect(problems(instanceConfigSchema, { ...config, azureml: sdk })).toEqual([]);
    const found = problems(instanceConfigSchema, { ...config, azureml: { ...sdk, caPem: 'nope' } });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'ValidationFailed', target: 'azureml.caPem' });
    expect(found[0]?.message).toMatch(/^azureml\.caPem: .*BEGIN CERTIFICATE.*; got "nope"$/);
  });

  it('lists every problem of a register body, nested fields by their path', () => {
    const found = problems(registerRequestSchema, {
      nodeToken: '',
      hostname: 'h',
      pid: 1.5,
      agentVersion: '1',
      address: 'h',
      capacity: { cores: 0, memoryMB: 1, gpus: [], containerRuntime: 'lxc', defaultPython: 'python3' },
    });
    expect(found.map((p) => p.target).sort()).toEqual([
      'capacity.containerRuntime',
      'capacity.cores',
      'nodeToken',
      'pid',
    ]);
  });

  it('keeps the limits of log chunks (known files only, offsets from 0)', () => {
    expect(
      problems(logChunkSchema, { attempt: 1, file: 'user_logs/std_log.txt', offset: 0, data: '' }),
    ).toEqual([]);
    expect(
      problems(logChunkSchema, { attempt: 1, file: '../etc/passwd', offset: -1, data: '' }).map(
        (p) => p.target,
      ),
    ).toEqual(['file', 'offset']);
  });

  it('parses the log-length query from its strings', () => {
    expect(logLengthQuerySchema.parse({ attempt: '2', file: 'system_logs/agent.txt' })).toEqual({
      attempt: 2,
      file: 'system_logs/agent.txt',
    });
    expect(problems(logLengthQuerySchema, { attempt: 'x', file: 'system_logs/agent.txt' })[0]?.target).toBe(
      'attempt',
    );
  });

  it('gives every call one path, with the job id in place', () => {
    expect(agentPath(agentCalls.status.path, 'default~j1')).toBe('/api/agent/jobs/default~j1/status');
    expect(agentPath(agentCalls.heartbeat.path)).toBe('/api/agent/heartbeat');
    for (const call of Object.values(agentCalls)) expect(call.path).toMatch(/^\/api\/agent\//);
  });
});
