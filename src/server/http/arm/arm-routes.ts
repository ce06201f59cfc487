import type { RouteDef } from '../route-def.js';
import { armAssetRoutes } from './arm-asset-routes.js';
import { armCodeRoutes } from './arm-code-routes.js';
import { armComputeRoutes } from './arm-compute-routes.js';
import { armEnvironmentRoutes } from './arm-environment-routes.js';
import { armJobRoutes } from './arm-job-routes.js';
import { runHistoryRoutes } from './run-history-routes.js';
import { armWorkspaceRoutes } from './arm-workspace-routes.js';
import { connectionRoutes, msiRoutes } from './msi-routes.js';

/** The Azure Resource Manager-shaped route table (for the Azure ML SDK), over the same services as the native API. */
export const armRoutes: RouteDef[] = [
  ...armWorkspaceRoutes,
  ...armComputeRoutes,
  ...armCodeRoutes,
  ...armEnvironmentRoutes,
  ...armAssetRoutes,
  ...armJobRoutes,
  ...runHistoryRoutes,
  ...msiRoutes,
  ...connectionRoutes,
];
