import { Access } from './access.js';
import { Datastores, VersionedAssets } from './assets.js';
import { Computes } from './computes.js';
import { Environments } from './environments.js';
import { Endpoints } from './endpoints.js';
import { HttpClient, type ClientOptions } from './http-client.js';
import { Jobs } from './jobs.js';
import { Locations } from './locations.js';
import { Workspaces } from './workspaces.js';

export {
  HangarApiError,
  type ApiErrorBody,
  type ClientErrorCode,
  type ClientOptions,
} from './http-client.js';
export type { ErrorCode } from '../domain/errors/error-catalogue.js';
export type { Compute } from './computes.js';
export type { ArmResource, ListViewType } from './assets.js';
export type { JobSubmission, LogEvent } from './jobs.js';
export type { EndpointResource, ScoreAnswer } from './endpoints.js';

/** The Hangar TypeScript SDK: one client per server and workspace. */
export class HangarClient {
  readonly http: HttpClient;
  readonly workspace: string;
  readonly computes: Computes;
  readonly locations: Locations;
  readonly workspaces: Workspaces;
  readonly jobs: Jobs;
  readonly environments: Environments;
  readonly datastores: Datastores;
  readonly data: VersionedAssets;
  readonly models: VersionedAssets;
  readonly components: VersionedAssets;
  readonly access: Access;
  readonly endpoints: Endpoints;

  constructor(options: ClientOptions) {
    this.http = new HttpClient(options);
    this.workspace = options.workspace ?? 'default';
    this.computes = new Computes(this.http, this.workspace);
    this.locations = new Locations(this.http);
    this.workspaces = new Workspaces(this.http);
    this.jobs = new Jobs(this.http, this.workspace);
    this.environments = new Environments(this.http, this.workspace);
    this.datastores = new Datastores(this.http, this.workspace);
    this.data = new VersionedAssets(this.http, this.workspace, 'data');
    this.models = new VersionedAssets(this.http, this.workspace, 'models');
    this.components = new VersionedAssets(this.http, this.workspace, 'components');
    this.access = new Access(this.http);
    this.endpoints = new Endpoints(this.http, this.workspace);
  }
}
export type { Role, RoleAssignmentView } from './access.js';
