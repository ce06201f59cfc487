import type { HttpClient } from './http-client.js';

/** A workspace as returned by the API. */
export interface Workspace {
  name: string;
  location: string;
  properties: Record<string, unknown>;
}

/** Workspaces. */
export class Workspaces {
  constructor(private readonly http: HttpClient) {}

  get(name: string): Promise<Workspace> {
    return this.http.request('GET', `/api/workspaces/${encodeURIComponent(name)}`);
  }

  list(): Promise<Workspace[]> {
    return this.http.listAll('/api/workspaces');
  }

  put(name: string, body: unknown): Promise<Workspace> {
    return this.http.request('PUT', `/api/workspaces/${encodeURIComponent(name)}`, body);
  }
}
