import type { HttpClient } from './http-client.js';

/** An endpoint or deployment in Azure's REST shape (deployments add `hangar`: reason, replicas, metrics). */
export type EndpointResource = Record<string, unknown> & {
  name: string;
  properties: Record<string, unknown>;
};

/** A scoring call's answer as the server gave it (any status). */
export interface ScoreAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Online endpoints and their deployments of one workspace. */
export class Endpoints {
  constructor(
    private readonly http: HttpClient,
    private readonly workspace: string,
  ) {}

  private base(name?: string): string {
    return `/api/workspaces/${encodeURIComponent(this.workspace)}/onlineEndpoints${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  list(): Promise<EndpointResource[]> {
    return this.http.listAll(this.base());
  }

  /** One endpoint (never its keys). */
  get(name: string): Promise<EndpointResource> {
    return this.http.request('GET', this.base(name));
  }

  /** Creates or replaces an endpoint from its az ml YAML fields. */
  put(
    name: string,
    spec: Record<string, unknown>,
    mode: 'create' | 'update' | 'upsert' = 'upsert',
  ): Promise<EndpointResource> {
    return this.http.request('PUT', `${this.base(name)}?mode=${mode}`, spec);
  }

  /** Changes traffic and mirror weights (percent by deployment). */
  setTraffic(
    name: string,
    weights: { traffic?: Record<string, number>; mirror_traffic?: Record<string, number> },
  ): Promise<EndpointResource> {
    return this.http.request('PATCH', this.base(name), weights);
  }

  delete(name: string): Promise<void> {
    return this.http.request('DELETE', this.base(name));
  }

  /** The endpoint's keys (an action Readers do not hold). */
  listKeys(name: string): Promise<{ primaryKey: string; secondaryKey: string }> {
    return this.http.request('POST', `${this.base(name)}/listKeys`);
  }

  regenerateKeys(name: string, keyType: 'Primary' | 'Secondary', keyValue?: string): Promise<void> {
    return this.http.request('POST', `${this.base(name)}/regenerateKeys`, {
      keyType,
      ...(keyValue === undefined ? {} : { keyValue }),
    });
  }

  /** A scoring token for an aml_token endpoint, with its expiry. */
  token(name: string): Promise<Record<string, unknown>> {
    return this.http.request('POST', `${this.base(name)}/token`);
  }

  deployments(endpoint: string): Promise<EndpointResource[]> {
    return this.http.listAll(`${this.base(endpoint)}/deployments`);
  }

  deployment(endpoint: string, name: string): Promise<EndpointResource> {
    return this.http.request('GET', `${this.base(endpoint)}/deployments/${encodeURIComponent(name)}`);
  }

  /** A replica's log (InferenceServer) or what was fetched (StorageInitializer). */
  async logs(
    endpoint: string,
    name: string,
    tail = 5000,
    containerType: 'InferenceServer' | 'StorageInitializer' = 'InferenceServer',
  ): Promise<string> {
    const r = await this.http.request<{ content: string }>(
      'POST',
      `${this.base(endpoint)}/deployments/${encodeURIComponent(name)}/getLogs`,
      { tail, containerType },
    );
    return r.content;
  }

  /**
   * Calls the endpoint's scoring route with its key (or token) and answers whatever came back, errors
   * included: the caller shows the status, since a scoring error is an answer, not a client failure.
   */
  async score(
    endpoint: string,
    body: string,
    credential: string,
    options: { deployment?: string; contentType?: string } = {},
  ): Promise<ScoreAnswer> {
    const res = await fetch(`${this.http.url}/endpoints/${encodeURIComponent(endpoint)}/score`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${credential}`,
        'content-type': options.contentType ?? 'application/json',
        ...(options.deployment ? { 'azureml-model-deployment': options.deployment } : {}),
      },
      body,
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => (headers[k] = v));
    return { status: res.status, headers, body: await res.text() };
  }
}
