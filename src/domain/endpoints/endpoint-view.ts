import { replicaParent, type DeploymentRecord, type EndpointRecord } from './endpoint-record.js';
import type { ProbeSettings } from './endpoint-spec.js';
import { scaleToZeroView } from './scale-to-zero.js';

const iso = (seconds: number): string => `PT${seconds}S`;
const isoMs = (ms: number): string => `PT${ms / 1000}S`;
const authModes = { key: 'Key', aml_token: 'AMLToken', aad_token: 'AADToken' } as const;

const probe = (p: ProbeSettings): Record<string, unknown> => ({
  initialDelay: iso(p.initial_delay),
  period: iso(p.period),
  timeout: iso(p.timeout),
  successThreshold: p.success_threshold,
  failureThreshold: p.failure_threshold,
});

/** An endpoint in Azure's REST shape; never its keys. */
export function toEndpointResource(e: EndpointRecord, baseUrl: string): Record<string, unknown> {
  const scoring = `${baseUrl}/endpoints/${e.name}/score`;
  return {
    id: `/workspaces/${e.workspace}/onlineEndpoints/${e.name}`,
    name: e.name,
    type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints',
    kind: e.spec.compute ? 'Kubernetes' : 'Managed',
    tags: e.spec.tags ?? {},
    properties: {
      authMode: authModes[e.spec.auth_mode],
      description: e.spec.description,
      compute: e.spec.compute,
      traffic: e.spec.traffic ?? {},
      mirrorTraffic: e.spec.mirror_traffic ?? {},
      publicNetworkAccess: e.spec.public_network_access === 'enabled' ? 'Enabled' : 'Disabled',
      scoringUri: scoring,
      swaggerUri: `${baseUrl}/endpoints/${e.name}/swagger.json`,
      provisioningState: e.provisioningState,
    },
    systemData: { createdAt: e.createdAt, createdBy: e.createdBy, lastModifiedAt: e.modifiedAt },
  };
}

/** A deployment in Azure's REST shape, plus `hangar` (why it is in its state, replicas, measured traffic). */
export function toDeploymentResource(
  d: DeploymentRecord,
  metrics?: Record<string, number>,
): Record<string, unknown> {
  const g = d.desired;
  const s = g.spec;
  const scale = s.scale_settings;
  const toZero = scaleToZeroView({
    scale,
    readyReplicas: d.status.readyReplicas ?? 0,
    provisioningState: d.status.provisioningState,
  });
  return {
    id: `/workspaces/${d.workspace}/onlineEndpoints/${d.endpoint}/deployments/${d.name}`,
    name: d.name,
    type: 'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments',
    kind: s.type === 'kubernetes' ? 'Kubernetes' : 'Managed',
    tags: s.tags ?? {},
    sku: { name: 'Default', capacity: s.instance_count },
    properties: {
      endpointComputeType: s.type === 'kubernetes' ? 'Kubernetes' : 'Managed',
      description: s.description,
      model: g.resolved.model?.display,
      codeConfiguration: s.code_configuration
        ? { codeId: s.code_configuration.code, scoringScript: s.code_configuration.scoring_script }
        : undefined,
      environmentId: typeof s.environment === 'string' ? s.environment : undefined,
      environmentVariables: s.environment_variables ?? {},
      instanceType: s.instance_type,
      // The inference cluster a Kubernetes deployment names itself (so `update --set` keeps it).
      ...(s.compute ? { compute: s.compute } : {}),
      appInsightsEnabled: false,
      requestSettings: {
        requestTimeout: isoMs(s.request_settings.request_timeout_ms),
        maxConcurrentRequestsPerInstance: s.request_settings.max_concurrent_requests_per_instance,
        maxQueueWait: isoMs(s.request_settings.max_queue_wait_ms),
      },
      livenessProbe: probe(s.liveness_probe),
      readinessProbe: probe(s.readiness_probe),
      scaleSettings:
        scale.type === 'default'
          ? { scaleType: 'Default' }
          : {
              scaleType: 'TargetUtilization',
              minInstances: scale.min_instances,
              maxInstances: scale.max_instances,
              targetUtilizationPercentage: scale.target_utilization_percentage,
              pollingInterval: iso(scale.polling_interval),
              ...(scale.hangar_scale_to_zero ? { hangarScaleToZero: true } : {}),
            },
      provisioningState: d.status.provisioningState,
    },
    hangar: {
      reason: d.status.reason,
      logTail: d.status.logTail,
      readyReplicas: d.status.readyReplicas ?? 0,
      ...(toZero.enabled ? { scaleToZero: toZero } : {}),
      desiredGeneration: g.number,
      servingGeneration: d.serving?.number,
      environment: g.resolved.environment,
      // A Kubernetes deployment's replicas are jobs on its compute's nodes.
      ...(g.resolved.pool
        ? { compute: g.resolved.pool.compute, replicaJobsParent: replicaParent(d) }
        : { compute: 'the serving pool of the server' }),
      appInsights: s.app_insights_enabled
        ? 'requested; Hangar has no Application Insights, so it is off'
        : 'off',
      ...(metrics ? { metrics } : {}),
    },
    systemData: { createdAt: d.createdAt, createdBy: d.createdBy, lastModifiedAt: d.modifiedAt },
  };
}
