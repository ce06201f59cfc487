import type { RouteInput } from '../route-def.js';

/** The ARM path of a workspace as the Azure ML SDK writes it; subscription and resource group are accepted as written. */
export const WS =
  '/subscriptions/{subscription}/resourceGroups/{resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces/{workspace}';

/** The subscription-level provider path (VM sizes, usages). */
export const SUB = '/subscriptions/{subscription}/providers/Microsoft.MachineLearningServices';

/** The workspace's ARM id with the names the caller used. */
export function workspaceId(input: Pick<RouteInput, 'params'>): string {
  const p = input.params;
  return `/subscriptions/${p.subscription ?? ''}/resourceGroups/${p.resourceGroup ?? ''}/providers/Microsoft.MachineLearningServices/workspaces/${p.workspace ?? ''}`;
}

/** The workspace's ARM path for a URL (a header or link): each name percent-encoded, so any name is a valid URL. */
export function workspaceUrlPath(input: Pick<RouteInput, 'params'>): string {
  const p = input.params;
  const e = (v: string | undefined): string => encodeURIComponent(v ?? '');
  return `/subscriptions/${e(p.subscription)}/resourceGroups/${e(p.resourceGroup)}/providers/Microsoft.MachineLearningServices/workspaces/${e(p.workspace)}`;
}

/** A native resource id (`/workspaces/ws/computes/c`) as its ARM id. */
export function armId(input: Pick<RouteInput, 'params'>, nativeId: string): string {
  return nativeId.replace(/^\/workspaces\/[^/]+/, workspaceId(input));
}

/** The HTTPS base the SDK follows for links (the request's own origin). */
export function baseOf(input: Pick<RouteInput, 'baseUrl'>): string {
  return input.baseUrl;
}
