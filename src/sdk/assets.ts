import type { SnapshotManifest } from '../domain/snapshots/manifest-types.js';
import type { HttpClient } from './http-client.js';

/** An asset resource in Azure's ARM envelope (a version's `name` is its version). */
export interface ArmResource {
  id: string;
  name: string;
  type: string;
  properties: Record<string, unknown>;
  systemData: Record<string, unknown>;
}

/** Azure's listViewType. */
export type ListViewType = 'ActiveOnly' | 'ArchivedOnly' | 'All';

const enc = encodeURIComponent;

/** Versioned assets of one kind (segment `data`, `models`, `components` or `environments`) in one workspace. */
export class VersionedAssets {
  constructor(
    private readonly http: HttpClient,
    private readonly workspace: string,
    private readonly segment: string,
  ) {}

  private base(): string {
    return `/api/workspaces/${enc(this.workspace)}/${this.segment}`;
  }

  listContainers(view: ListViewType = 'ActiveOnly'): Promise<ArmResource[]> {
    return this.http.listAll(`${this.base()}?listViewType=${view}`);
  }

  getContainer(name: string): Promise<ArmResource> {
    return this.http.request('GET', `${this.base()}/${enc(name)}`);
  }

  listVersions(name: string, view: ListViewType = 'ActiveOnly'): Promise<ArmResource[]> {
    return this.http.listAll(`${this.base()}/${enc(name)}/versions?listViewType=${view}`);
  }

  /** A version, or `latest`. */
  get(name: string, version = 'latest'): Promise<ArmResource> {
    return this.http.request('GET', `${this.base()}/${enc(name)}/versions/${enc(version)}`);
  }

  /** Creates `version`, or (undefined) the next one: for environments, an identical spec answers its version. */
  create(
    name: string,
    version: string | undefined,
    properties: Record<string, unknown>,
  ): Promise<ArmResource> {
    return version === undefined
      ? this.http.request('POST', `${this.base()}/${enc(name)}/versions`, { properties })
      : this.http.request('PUT', `${this.base()}/${enc(name)}/versions/${enc(version)}`, { properties });
  }

  /** Archives (or restores) one version, or every version of the name. */
  async setArchived(name: string, version: string | undefined, archived: boolean): Promise<ArmResource[]> {
    const path = `${this.base()}/${enc(name)}${version === undefined ? '' : `/versions/${enc(version)}`}`;
    const r: { value: ArmResource[] } = await this.http.request(
      'POST',
      `${path}/${archived ? 'archive' : 'restore'}`,
    );
    return r.value;
  }

  /** The files of a data or model version. */
  manifest(name: string, version: string): Promise<SnapshotManifest> {
    return this.http.request('GET', `${this.base()}/${enc(name)}/versions/${enc(version)}/manifest`);
  }

  /** One file's bytes of a data or model version. */
  async blob(name: string, version: string, sha256: string): Promise<Uint8Array> {
    const res = await this.http.raw(
      'GET',
      `${this.base()}/${enc(name)}/versions/${enc(version)}/blobs/${enc(sha256)}`,
    );
    return new Uint8Array(await res.arrayBuffer());
  }
}

/** Datastores of one workspace. */
export class Datastores {
  constructor(
    private readonly http: HttpClient,
    private readonly workspace: string,
  ) {}

  private base(): string {
    return `/api/workspaces/${enc(this.workspace)}/datastores`;
  }

  list(): Promise<ArmResource[]> {
    return this.http.listAll(this.base());
  }

  get(name: string): Promise<ArmResource> {
    return this.http.request('GET', `${this.base()}/${enc(name)}`);
  }

  put(name: string, properties: Record<string, unknown>): Promise<ArmResource> {
    return this.http.request('PUT', `${this.base()}/${enc(name)}`, { properties });
  }

  delete(name: string): Promise<void> {
    return this.http.request('DELETE', `${this.base()}/${enc(name)}`);
  }

  listSecrets(name: string): Promise<Record<string, string>> {
    return this.http.request('POST', `${this.base()}/${enc(name)}/listSecrets`);
  }
}
