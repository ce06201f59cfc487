import { AssetService } from '../assets/asset-service.js';
import { EndpointService } from '../endpoints/endpoint-service.js';
import { DatastoreService } from '../assets/datastore-service.js';
import { EnvironmentService } from '../environments/environment-service.js';
import { JobService } from '../jobs/job-service.js';
import { MlflowService } from '../mlflow/mlflow-service.js';
import { AgentWorkService } from '../nodes/agent-work-service.js';
import { NodeService } from '../nodes/node-service.js';
import { SnapshotService } from '../snapshots/snapshot-service.js';
import type { Principal } from '../../domain/access/authorize.js';
import { AccessService } from '../access/access-service.js';
import { InstanceService } from '../instances/instance-service.js';
import { ComputeService } from './compute-service.js';
import { LocationService, type HostGpuSource } from './location-service.js';
import type { ServiceContext } from './service-context.js';
import { WorkspaceService } from './workspace-service.js';
import { SystemMetricsService } from '../metrics/system-metrics-service.js';
import { ServerTelemetry } from '../metrics/server-telemetry.js';

/** All use-case services, built once per server. */
export interface Services {
  ctx: ServiceContext;
  workspaces: WorkspaceService;
  computes: ComputeService;
  instances: InstanceService;
  access: AccessService;
  /** With --insecure-local: the principal anonymous calls act as (the bootstrap admin). */
  insecureLocalPrincipal?: Principal;
  locations: LocationService;
  snapshots: SnapshotService;
  environments: EnvironmentService;
  /** Datastores (workspaceblobstore, hangar_path, Azure records). */
  datastores: DatastoreService;
  /** Data, model and component versions; the asset hooks for jobs (AssetResolution). */
  assets: AssetService;
  jobs: JobService;
  /** Online endpoints and deployments (the serving pool is attached by the server). */
  endpoints: EndpointService;
  nodes: NodeService;
  agentWork: AgentWorkService;
  mlflow: MlflowService;
  /** Utilisation samples of nodes and jobs (system metrics). */
  systemMetrics: SystemMetricsService;
  /** API and loop latencies this server measured (GET /metrics). */
  telemetry: ServerTelemetry;
}

/** Wires the services over one context. */
export function createServices(ctx: ServiceContext, hostGpus?: HostGpuSource): Services {
  const snapshots = new SnapshotService(ctx);
  const computes = new ComputeService(ctx);
  const access = new AccessService(ctx);
  const datastores = new DatastoreService(ctx);
  const assets = new AssetService(ctx, snapshots, datastores, access);
  const locations = new LocationService(ctx, hostGpus);
  return {
    ctx,
    workspaces: new WorkspaceService(ctx),
    computes,
    instances: new InstanceService(ctx),
    access,
    locations,
    snapshots,
    environments: new EnvironmentService(ctx),
    datastores,
    assets,
    jobs: new JobService(ctx, snapshots, computes, assets),
    endpoints: new EndpointService(ctx, snapshots, assets, locations, computes),
    nodes: new NodeService(ctx),
    agentWork: new AgentWorkService(ctx, snapshots, assets),
    mlflow: new MlflowService(ctx),
    systemMetrics: new SystemMetricsService(ctx),
    telemetry: new ServerTelemetry(),
  };
}
