import { describe, expect, it } from 'vitest';
import { HangarError } from '../errors/hangar-error.js';
import {
  mirrorProblems,
  parseDeploymentSpec,
  parseEndpointSpec,
  unknownDeploymentProblems,
} from './endpoint-spec.js';

const refusal = (fn: () => unknown): HangarError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof HangarError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

const deployment = (extra: Record<string, unknown> = {}) => ({
  name: 'blue',
  endpoint_name: 'my-endpoint',
  model: 'azureml:lr:1',
  code_configuration: { code: './code', scoring_script: 'score.py' },
  environment: 'azureml:sklearn-env:1',
  instance_type: 'Standard_DS3_v2',
  instance_count: 1,
  ...extra,
});

describe('endpoint spec', () => {
  it('fills Azure defaults: key auth, public access', () => {
    const s = parseEndpointSpec({ name: 'my-endpoint', $schema: 'x' });
    expect(s.auth_mode).toBe('key');
    expect(s.public_network_access).toBe('enabled');
  });

  it('refuses names that break the naming rule, naming the field and value', () => {
    const e = refusal(() => parseEndpointSpec({ name: '9bad' }));
    expect(e.target).toBe('name');
    expect(e.message).toContain('"9bad"');
    expect(refusal(() => parseEndpointSpec({ name: 'a--b' })).target).toBe('name');
  });

  it('refuses traffic weights that do not sum to 0 or 100', () => {
    const e = refusal(() => parseEndpointSpec({ name: 'ep1', traffic: { blue: 90, green: 20 } }));
    expect(e.target).toBe('traffic');
    expect(e.message).toContain('blue=90 green=20 (sum 110)');
    expect(parseEndpointSpec({ name: 'ep1', traffic: { blue: 0 } }).traffic).toEqual({ blue: 0 });
    expect(parseEndpointSpec({ name: 'ep1', traffic: { blue: 90, green: 10 } }).traffic).toBeDefined();
  });

  it('refuses aad_token (no Entra ID here) and unknown fields', () => {
    expect(refusal(() => parseEndpointSpec({ name: 'ep1', auth_mode: 'aad_token' })).target).toBe(
      'auth_mode',
    );
    expect(refusal(() => parseEndpointSpec({ name: 'ep1', trafic: {} })).target).toBe('trafic');
  });

  it('mirror traffic: one deployment, at most 50, not one with live traffic', () => {
    expect(mirrorProblems({ green: 60 }, { blue: 100 })[0]?.target).toBe('mirror_traffic.green');
    expect(mirrorProblems({ blue: 10 }, { blue: 100 })[0]?.message).toContain('live or mirrored');
    expect(mirrorProblems({ a: 10, b: 10 }, {})[0]?.target).toBe('mirror_traffic');
    expect(mirrorProblems({ green: 20 }, { blue: 100 })).toEqual([]);
  });

  it('names traffic entries for deployments that do not exist', () => {
    const p = unknownDeploymentProblems({ blue: 50, pink: 50 }, 'traffic', ['blue']);
    expect(p.map((x) => x.target)).toEqual(['traffic.pink']);
  });
});

describe('deployment spec', () => {
  it('fills the managed defaults: probes, request settings, default scaling', () => {
    const d = parseDeploymentSpec(deployment());
    expect(d.type).toBe('managed');
    expect(d.request_settings).toEqual({
      request_timeout_ms: 5000,
      max_concurrent_requests_per_instance: 1,
      max_queue_wait_ms: 500,
    });
    expect(d.liveness_probe).toEqual({
      initial_delay: 10,
      period: 10,
      timeout: 2,
      success_threshold: 1,
      failure_threshold: 30,
    });
    expect(d.scale_settings).toEqual({ type: 'default' });
    expect(d.app_insights_enabled).toBe(false);
  });

  it('managed needs instance_type and instance_count; names both', () => {
    const e = refusal(() =>
      parseDeploymentSpec(deployment({ instance_type: undefined, instance_count: undefined })),
    );
    expect(e.details.map((d) => d.target)).toEqual(['instance_type', 'instance_count']);
  });

  it('Kubernetes defaults to target_utilization 1..1 at 70 %', () => {
    const d = parseDeploymentSpec(
      deployment({ type: 'kubernetes', instance_count: undefined, compute: 'k8s' }),
    );
    expect(d.scale_settings).toEqual({
      type: 'target_utilization',
      min_instances: 1,
      max_instances: 1,
      target_utilization_percentage: 70,
      polling_interval: 1,
    });
  });

  it('refuses a managed request timeout over 180 000 ms and bad probe values, naming field and value', () => {
    const e = refusal(() =>
      parseDeploymentSpec(deployment({ request_settings: { request_timeout_ms: 200000 } })),
    );
    expect(e.target).toBe('request_settings.request_timeout_ms');
    expect(e.message).toContain('200000');
    const p = refusal(() => parseDeploymentSpec(deployment({ readiness_probe: { period: 0 } })));
    expect(p.target).toBe('readiness_probe.period');
    expect(p.message).toContain('got 0');
  });

  it('refuses instance_count over 50 and min_instances above max_instances', () => {
    expect(refusal(() => parseDeploymentSpec(deployment({ instance_count: 51 }))).target).toBe(
      'instance_count',
    );
    const e = refusal(() =>
      parseDeploymentSpec(
        deployment({
          type: 'kubernetes',
          compute: 'k',
          scale_settings: { type: 'target_utilization', min_instances: 3, max_instances: 2 },
        }),
      ),
    );
    expect(e.target).toBe('scale_settings.min_instances');
  });

  it('refuses bad request_settings, naming the field, the rule and the value', () => {
    const cases: [Record<string, unknown>, string, string, string][] = [
      [{ request_timeout_ms: 0 }, 'request_settings.request_timeout_ms', '>=1', 'got 0'],
      [
        { max_concurrent_requests_per_instance: 0 },
        'request_settings.max_concurrent_requests_per_instance',
        '>=1',
        'got 0',
      ],
      [
        { max_concurrent_requests_per_instance: 1.5 },
        'request_settings.max_concurrent_requests_per_instance',
        'int',
        'got 1.5',
      ],
      [{ max_queue_wait_ms: -1 }, 'request_settings.max_queue_wait_ms', '>=0', 'got -1'],
      [{ max_queue_wait_ms: 'soon' }, 'request_settings.max_queue_wait_ms', 'number', 'got "soon"'],
      [{ max_queue_wait_ms: 300001 }, 'request_settings.max_queue_wait_ms', '<=300000', 'got 300001'],
      [{ queue: 1 }, 'request_settings.queue', 'unknown field', "'queue'"],
    ];
    for (const [rs, target, rule, value] of cases) {
      const e = refusal(() => parseDeploymentSpec(deployment({ request_settings: rs })));
      expect(e.target, JSON.stringify(rs)).toBe(target);
      expect(e.message).toContain(rule);
      expect(e.message).toContain(value);
    }
    const k8s = refusal(() =>
      parseDeploymentSpec(
        deployment({ type: 'kubernetes', compute: 'k', request_settings: { request_timeout_ms: 300001 } }),
      ),
    );
    expect(k8s.target).toBe('request_settings.request_timeout_ms');
    expect(k8s.message).toContain('got 300001');
    // Kubernetes allows up to 300 000 ms; the queue wait may be 0 (no queue).
    const ok = parseDeploymentSpec(
      deployment({
        type: 'kubernetes',
        compute: 'k',
        request_settings: { request_timeout_ms: 300000, max_queue_wait_ms: 0 },
      }),
    );
    expect(ok.request_settings).toEqual({
      request_timeout_ms: 300000,
      max_concurrent_requests_per_instance: 1,
      max_queue_wait_ms: 0,
    });
  });

  it('refuses min_instances 0: no scale to zero, naming field and value', () => {
    const e = refusal(() =>
      parseDeploymentSpec(
        deployment({
          type: 'kubernetes',
          compute: 'k',
          scale_settings: { type: 'target_utilization', min_instances: 0, max_instances: 2 },
        }),
      ),
    );
    expect(e.target).toBe('scale_settings.min_instances');
    expect(e.message).toContain('at least 1');
    expect(e.message).toContain('got 0');
  });

  it('a managed deployment takes target_utilization only as the scale-to-zero opt-in (then without instance_count)', () => {
    const managed = (scale: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      deployment({
        instance_type: 'Standard_DS3_v2',
        instance_count: undefined,
        scale_settings: scale,
        ...extra,
      });
    const zero = parseDeploymentSpec(
      managed({ type: 'target_utilization', min_instances: 0, max_instances: 2, hangar_scale_to_zero: true }),
    );
    expect(zero.type).toBe('managed');
    expect(zero.instance_count).toBe(0);
    const e = refusal(() =>
      parseDeploymentSpec(
        managed({ type: 'target_utilization', min_instances: 1, max_instances: 2 }, { instance_count: 1 }),
      ),
    );
    expect(e.target).toBe('scale_settings.type');
    expect(e.message).toContain('hangar_scale_to_zero: true');
    expect(e.message).toContain("got 'target_utilization'");
    // Without the opt-in instance_count stays required.
    expect(refusal(() => parseDeploymentSpec(managed({ type: 'default' }))).target).toBe('instance_count');
  });

  it('requires code_configuration (no no-code deployments yet)', () => {
    expect(refusal(() => parseDeploymentSpec(deployment({ code_configuration: undefined }))).target).toBe(
      'code_configuration',
    );
  });
});
