import { HangarApiError, HangarClient } from '../../../src/sdk/index.js';

export { HangarApiError };

const workspaceKey = 'hangar.workspace';
let current = new HangarClient({ url: '', workspace: localStorage.getItem(workspaceKey) ?? 'default' });

/**
 * The studio's one client of the public API: same origin, so the browser sends the
 * `hangar_session` cookie (HttpOnly) and no token ever lives in page script.
 */
export function api(): HangarClient {
  return current;
}

/** Switches the workspace every page reads (remembered in this browser). */
export function setWorkspace(name: string): void {
  localStorage.setItem(workspaceKey, name);
  current = new HangarClient({ url: '', workspace: name });
}

/** The path prefix of the current workspace's API. */
export function wsPath(): string {
  return `/api/workspaces/${encodeURIComponent(current.workspace)}`;
}

/** A GET of any public API path, as JSON. */
export function getJson<T>(path: string): Promise<T> {
  return current.http.request<T>('GET', path);
}

/** One line for an error: the server's code and message (and the field it names). */
export function errorText(err: unknown): string {
  if (err instanceof HangarApiError) {
    const details = err.error.details?.map((d) => d.message).filter((m) => m !== err.error.message) ?? [];
    return [`${err.error.code}: ${err.error.message}`, ...details].join(' · ');
  }
  return err instanceof Error ? err.message : String(err);
}

/** True when the server answered 401: the session ended. */
export function isUnauthenticated(err: unknown): boolean {
  return err instanceof HangarApiError && err.status === 401;
}

const sessionEnded = new Set<() => void>();

/** Calls `listener` when a read finds the session gone (expired or revoked); answers an unsubscribe. */
export function onSessionEnded(listener: () => void): () => void {
  sessionEnded.add(listener);
  return () => sessionEnded.delete(listener);
}

/** Reports a 401 from any read, so the studio can go back to the sign-in page. */
export function reportIfSessionEnded(err: unknown): void {
  if (isUnauthenticated(err)) sessionEnded.forEach((l) => l());
}
