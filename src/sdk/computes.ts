import type { ComputeResource } from '../domain/compute/compute-view.js';
import type { HttpClient } from './http-client.js';

/** A compute as returned by the API, plus the server's warnings on writes. */
export type Compute = ComputeResource & { warnings?: string[] };

/** Compute targets of one workspace. */
export class Computes {
  constructor(
    private readonly http: HttpClient,
    private readonly workspace: string,
  ) {}

  private base(name?: string): string {
    return `/api/workspaces/${encodeURIComponent(this.workspace)}/computes${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  list(computeType?: string): Promise<Compute[]> {
    return this.http.listAll<Compute>(`${this.base()}${computeType ? `?computeType=${encodeURIComponent(computeType)}` : ''}`);
  }

  get(name: string): Promise<Compute> {
    return this.http.request('GET', this.base(name));
  }

  /** Creates, attaches or updates (PUT). */
  put(name: string, body: unknown): Promise<Compute> {
    return this.http.request('PUT', this.base(name), body);
  }

  patch(name: string, body: unknown): Promise<Compute> {
    return this.http.request('PATCH', this.base(name), body);
  }

  delete(name: string, action: 'Delete' | 'Detach' = 'Delete'): Promise<Compute | undefined> {
    return this.http.request('DELETE', `${this.base(name)}?underlyingResourceAction=${action}`);
  }

  action(name: string, verb: 'start' | 'stop' | 'restart'): Promise<unknown> {
    return this.http.request('POST', `${this.base(name)}/${verb}`);
  }

  nodes(name: string): Promise<unknown[]> {
    return this.http.listAll(`${this.base(name)}/nodes`);
  }

  /** Why a compute scaled, preemptions, quota and lock denials: newest last. */
  events(name: string, max = 200): Promise<unknown[]> {
    return this.http.listAll(`${this.base(name)}/events?$top=${Math.min(max, 1000)}`, max);
  }

  /** Admin: preempts one node of a low-priority cluster; its jobs checkpoint and resume elsewhere. */
  preemptNode(name: string, nodeId: string): Promise<{ nodeId: string; nodeState: string; reason: string | null }> {
    return this.http.request('POST', `${this.base(name)}/nodes/${encodeURIComponent(nodeId)}/preempt`);
  }

  listKeys(name: string): Promise<Record<string, unknown>> {
    return this.http.request('POST', `${this.base(name)}/listKeys`);
  }
}
