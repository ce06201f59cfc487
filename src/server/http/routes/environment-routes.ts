import {
  environmentVersionRequestSchema,
  environmentVersionResourceSchema,
  toEnvironmentResource,
  type EnvironmentVersionRequest,
} from '../../environments/environment-service.js';
import { action, type RouteDef } from '../route-def.js';
import { versionedRoutes } from './versioned-routes.js';

/** Environments in Azure's shape: containers, immutable versions (`latest` label), reuse, archive/restore. */
export const environmentRoutes: RouteDef[] = versionedRoutes({
  base: '/api/workspaces/{workspace}/environments',
  tag: 'Environments',
  actions: {
    read: action('workspaces/environments/read'),
    write: action('workspaces/environments/write'),
    versionRead: action('workspaces/environments/versions/read'),
    versionWrite: action('workspaces/environments/versions/write'),
    versionDelete: action('workspaces/environments/versions/delete'),
  },
  body: environmentVersionRequestSchema,
  versionSchema: environmentVersionResourceSchema,
  summaries: {
    containers: 'List environment containers (one per name, with latestVersion and nextVersion)',
    container: 'Get an environment container (404 when no version exists)',
    versions: 'List versions of an environment, newest first',
    version: 'Get an environment version (`latest` for the newest non-archived)',
    put: 'Create an environment version (201); the same spec again updates description, tags and isArchived (200); another spec is refused (409 AssetVersionExists)',
    post: 'Register an environment without a version (Hangar): an identical spec answers its existing version (200), else the next integer (201)',
    delete: 'Archive an environment version (versions are never deleted: jobs name them)',
  },
  ops: ({ environments: e }) => ({
    containers: (ws, view) => e.containers(ws, view),
    container: (ws, name) => e.container(ws, name),
    versions: (ws, name, view, page) => e.list(ws, name, page, view),
    version: (ws, name, version) => e.get(ws, name, version),
    // The body was validated against environmentVersionRequestSchema by mount().
    create: (ws, name, version, body, caller) =>
      e.create(ws, name, version, body as EnvironmentVersionRequest, caller),
    setArchived: (ws, name, version, archived) => e.setArchived(ws, name, version, archived),
  }),
  toResource: toEnvironmentResource,
});
