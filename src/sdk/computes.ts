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
    return this.http.listAll<Compute>(
      `${this.base()}${computeType ? `?computeType=${encodeURIComponent(computeType)}` : ''}`,
    );
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

  /** Sets idle shutdown (ISO 8601, PT15M..P3D); a shorter setting than the idle time so far restarts the idle clock. */
  updateIdleShutdown(name: string, idleTimeBeforeShutdown: string): Promise<Compute> {
    return this.http.request('POST', `${this.base(name)}/updateIdleShutdownSetting`, {
      idleTimeBeforeShutdown,
    });
  }

  /** Skips the next occurrence of a scheduled stop (of one schedule, or the soonest). */
  skipScheduledStop(name: string, scheduleId?: string): Promise<{ scheduleId: string; at: string }> {
    return this.http.request(
      'POST',
      `${this.base(name)}/skipScheduledStop`,
      scheduleId ? { scheduleId } : {},
    );
  }

  /** Turns single sign-on on or off (create-on-behalf instances: only the assigned user may turn it on). */
  enableSso(name: string, enabled: boolean): Promise<Compute> {
    return this.http.request('POST', `${this.base(name)}/enableSso`, { enabled });
  }

  nodes(name: string): Promise<unknown[]> {
    return this.http.listAll(`${this.base(name)}/nodes`);
  }

  /** Why a compute scaled, preemptions, quota and lock denials: newest last. */
  events(name: string, max = 200): Promise<unknown[]> {
    return this.http.listAll(`${this.base(name)}/events?$top=${Math.min(max, 1000)}`, max);
  }

  /** Admin: preempts one node of a low-priority cluster; its jobs checkpoint and resume elsewhere. */
  preemptNode(
    name: string,
    nodeId: string,
  ): Promise<{ nodeId: string; nodeState: string; reason: string | null }> {
    return this.http.request('POST', `${this.base(name)}/nodes/${encodeURIComponent(nodeId)}/preempt`);
  }

  /** Stores an SSH public key, or (without one) generates a pair: the private key is in this answer only. */
  createSshKey(
    keyName: string,
    publicKey?: string,
  ): Promise<{ name: string; publicKey: string; createdAt: string; privateKey?: string }> {
    return this.http.request('POST', `/api/workspaces/${encodeURIComponent(this.workspace)}/sshKeys`, {
      name: keyName,
      ...(publicKey ? { publicKey } : {}),
    });
  }

  /** Stored SSH public keys of the workspace. */
  async listSshKeys(): Promise<{ name: string; publicKey: string; createdAt: string }[]> {
    const page = await this.http.request<{ value: { name: string; publicKey: string; createdAt: string }[] }>(
      'GET',
      `/api/workspaces/${encodeURIComponent(this.workspace)}/sshKeys`,
    );
    return page.value;
  }

  listKeys(name: string): Promise<Record<string, unknown>> {
    return this.http.request('POST', `${this.base(name)}/listKeys`);
  }
}
