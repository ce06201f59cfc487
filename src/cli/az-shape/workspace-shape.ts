import { compact } from './snake-case.js';

type Doc = Record<string, unknown>;

/** A workspace as the API answers it. */
export interface WorkspaceEnvelope {
  id?: string;
  name: string;
  location: string;
  properties: Doc;
  systemData?: { createdAt?: string; lastModifiedAt?: string };
}

/**
 * The workspace as `az ml workspace show` prints it: `name`, `id`, `location`, `display_name`,
 * `description`, `tags`, `mlflow_tracking_uri` (what `--query mlflow_tracking_uri` scripts read),
 * `discovery_url`; `server` is the Hangar URL the CLI talks to.
 */
export function workspaceShape(ws: WorkspaceEnvelope, server: string): Doc {
  const base = server.replace(/\/+$/, '');
  const p = ws.properties;
  return compact({
    name: ws.name,
    id: ws.id ?? `/workspaces/${ws.name}`,
    location: ws.location,
    display_name: ws.name,
    description: p.description,
    tags: p.tags ?? {},
    mlflow_tracking_uri: `${base}/api/workspaces/${encodeURIComponent(ws.name)}/mlflow`,
    discovery_url: base,
    locks: Array.isArray(p.locks) && p.locks.length > 0 ? p.locks : undefined,
    creation_context: compact({
      created_at: ws.systemData?.createdAt,
      last_modified_at: ws.systemData?.lastModifiedAt,
    }),
  });
}
