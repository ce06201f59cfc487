import { ComputeService } from './compute-service.js';
import { SnapshotService } from '../snapshots/snapshot-service.js';
import { LocationService } from './location-service.js';
import type { ServiceContext } from './service-context.js';
import { WorkspaceService } from './workspace-service.js';

/** All use-case services, built once per server. */
export interface Services {
  ctx: ServiceContext;
  workspaces: WorkspaceService;
  computes: ComputeService;
  locations: LocationService;
  snapshots: SnapshotService;
}

/** Wires the services over one context. */
export function createServices(ctx: ServiceContext): Services {
  return {
    ctx,
    workspaces: new WorkspaceService(ctx),
    computes: new ComputeService(ctx),
    locations: new LocationService(ctx),
    snapshots: new SnapshotService(ctx),
  };
}
