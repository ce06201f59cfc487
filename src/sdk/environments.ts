import type { HttpClient } from './http-client.js';

/** An environment version as returned by the API. */
export interface EnvironmentVersion {
  id: string;
  name: string;
  version: string;
  properties: Record<string, unknown>;
}

/** Environments of one workspace. */
export class Environments {
  constructor(
    private readonly http: HttpClient,
    private readonly workspace: string,
  ) {}

  private base(): string {
    return `/api/workspaces/${encodeURIComponent(this.workspace)}/environments`;
  }

  create(name: string, version: string, properties: Record<string, unknown>): Promise<EnvironmentVersion> {
    return this.http.request(
      'PUT',
      `${this.base()}/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`,
      { properties },
    );
  }

  get(name: string, version = 'latest'): Promise<EnvironmentVersion> {
    return this.http.request(
      'GET',
      `${this.base()}/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}`,
    );
  }

  list(name?: string): Promise<EnvironmentVersion[]> {
    return this.http.listAll(`${this.base()}${name ? `?name=${encodeURIComponent(name)}` : ''}`);
  }
}
