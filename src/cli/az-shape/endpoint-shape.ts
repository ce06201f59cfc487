import { compact, durationSeconds, snakeDeep } from './snake-case.js';

type Doc = Record<string, unknown>;
const obj = (v: unknown): Doc => (v !== null && typeof v === 'object' ? (v as Doc) : {});
const creation = (v: unknown): Doc => {
  const s = obj(v);
  return compact({ created_at: s.createdAt, created_by: s.createdBy, last_modified_at: s.lastModifiedAt });
};
const authModes: Record<string, string> = { Key: 'key', AMLToken: 'aml_token', AADToken: 'aad_token' };

/** An online endpoint as az ml prints it: flat, snake_case. */
export function endpointShape(r: Doc): Doc {
  const p = obj(r.properties);
  return compact({
    name: r.name,
    auth_mode: authModes[String(p.authMode)] ?? p.authMode,
    description: p.description,
    tags: r.tags ?? {},
    compute: p.compute,
    traffic: p.traffic ?? {},
    mirror_traffic: p.mirrorTraffic ?? {},
    scoring_uri: p.scoringUri,
    openapi_uri: p.swaggerUri,
    provisioning_state: p.provisioningState,
    public_network_access: String(p.publicNetworkAccess ?? 'Enabled').toLowerCase(),
    kind: r.kind,
    id: r.id,
    creation_context: creation(r.systemData),
  });
}

const probe = (v: unknown): Doc => {
  const p = obj(v);
  return compact({
    initial_delay: durationSeconds(p.initialDelay),
    period: durationSeconds(p.period),
    timeout: durationSeconds(p.timeout),
    success_threshold: p.successThreshold,
    failure_threshold: p.failureThreshold,
  });
};

/** An online deployment as az ml prints it: the YAML fields plus its state (and Hangar's why). */
export function deploymentShape(r: Doc): Doc {
  const p = obj(r.properties);
  const rs = obj(p.requestSettings);
  const ss = obj(p.scaleSettings);
  const cc = obj(p.codeConfiguration);
  const h = obj(r.hangar);
  const endpoint = /\/onlineEndpoints\/([^/]+)\//.exec(String(r.id))?.[1];
  const ms = (iso: unknown): number | undefined => {
    const s = durationSeconds(iso);
    return s === undefined ? undefined : Math.round(s * 1000);
  };
  return compact({
    name: r.name,
    endpoint_name: endpoint,
    type: p.endpointComputeType === 'Kubernetes' ? 'kubernetes' : 'managed',
    description: p.description,
    tags: r.tags ?? {},
    model: p.model,
    code_configuration: cc.codeId ? { code: cc.codeId, scoring_script: cc.scoringScript } : undefined,
    environment: p.environmentId,
    environment_variables: p.environmentVariables ?? {},
    instance_type: p.instanceType,
    compute: p.compute,
    instance_count: obj(r.sku).capacity,
    app_insights_enabled: p.appInsightsEnabled,
    request_settings: compact({
      request_timeout_ms: ms(rs.requestTimeout),
      max_concurrent_requests_per_instance: rs.maxConcurrentRequestsPerInstance,
      max_queue_wait_ms: ms(rs.maxQueueWait),
    }),
    liveness_probe: probe(p.livenessProbe),
    readiness_probe: probe(p.readinessProbe),
    scale_settings:
      ss.scaleType === 'TargetUtilization'
        ? compact({
            type: 'target_utilization',
            min_instances: ss.minInstances,
            max_instances: ss.maxInstances,
            target_utilization_percentage: ss.targetUtilizationPercentage,
            polling_interval: durationSeconds(ss.pollingInterval),
            // Hangar's opt-in (kept so `update --set` round-trips it).
            hangar_scale_to_zero: ss.hangarScaleToZero,
          })
        : { type: 'default' },
    provisioning_state: p.provisioningState,
    id: r.id,
    creation_context: creation(r.systemData),
    hangar: compact({
      reason: h.reason,
      ready_replicas: h.readyReplicas,
      scale_to_zero: snakeDeep(h.scaleToZero),
      desired_generation: h.desiredGeneration,
      serving_generation: h.servingGeneration,
      environment: h.environment,
      app_insights: h.appInsights,
      metrics: h.metrics,
      log_tail: h.logTail,
    }),
  });
}

/** The YAML fields of a flat deployment (what `update --set` starts from). */
export function deploymentYamlOf(flat: Doc): Doc {
  const { provisioning_state: _p, id: _i, creation_context: _c, hangar: _h, ...yaml } = flat;
  return yaml;
}
