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
import { LocationService } from './location-service.js';
import type { ServiceContext } from './service-context.js';
import { WorkspaceService } from './workspace-service.js';

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
  jobs: JobService;
  nodes: NodeService;
  agentWork: AgentWorkService;
  mlflow: MlflowService;
}

/** Wires the services over one context. */
export function createServices(ctx: ServiceContext): Services {
  const snapshots = new SnapshotService(ctx);
  const computes = new ComputeService(ctx);
  return {
    ctx,
    workspaces: new WorkspaceService(ctx),
    computes,
    instances: new InstanceService(ctx),
    access: new AccessService(ctx),
    locations: new LocationService(ctx),
    snapshots,
    environments: new EnvironmentService(ctx),
    jobs: new JobService(ctx, snapshots, computes),
    nodes: new NodeService(ctx),
    agentWork: new AgentWorkService(ctx, snapshots),
    mlflow: new MlflowService(ctx),
  };
}
