import type { AuditRecord, TokenRecord, UserRecord } from '../domain/access/identity-records.js';
import type { RoleAssignment, RoleDefinition } from '../domain/access/roles.js';
import type { AssetKind, AssetRecord, LineageEntry, ListView } from '../domain/assets/asset-record.js';
import type { ComputeRecord, ComputeStatusPart } from '../domain/compute/compute-record.js';
import type { DeploymentRecord, EndpointRecord } from '../domain/endpoints/endpoint-record.js';
import type { EnvironmentRecord } from '../domain/environments/environment-record.js';
import type { EventRecord, NewEvent } from '../domain/events/event.js';
import type { JobRecord, JobState } from '../domain/jobs/job-record.js';
import type { KeyValue, MetricPoint } from '../domain/metrics/run-data.js';
import type { NodeRecord } from '../domain/nodes/node-record.js';
import type { WorkspaceRecord } from '../domain/workspace/workspace.js';

/** A page request: at most `top` items after the opaque `skipToken`. */
export interface PageRequest {
  top: number;
  skipToken?: string;
}

/** One page of results; `skipToken` is set when more follow. */
export interface Page<T> {
  items: T[];
  skipToken?: string;
}

/** Filters for listing computes; all optional. */
export interface ComputeFilter {
  workspace?: string;
  computeType?: string;
  location?: string;
  provisioningState?: string;
}

/** Workspaces. */
export interface WorkspaceRepository {
  get(name: string): Promise<WorkspaceRecord | undefined>;
  /** By name; `only` (lower-case names) keeps the page to those workspaces (what a caller may list). */
  list(page: PageRequest, only?: readonly string[]): Promise<Page<WorkspaceRecord>>;
  /** Throws NameConflict when the name is taken. */
  insert(record: WorkspaceRecord): Promise<void>;
  /** Compare-and-set on `record.version` (see Versions, on Store); answers the record as written. */
  update(record: WorkspaceRecord): Promise<WorkspaceRecord>;
  delete(name: string): Promise<boolean>;
}

/** Computes: names are unique per location across workspaces (case-insensitive). */
export interface ComputeRepository {
  get(workspace: string, name: string): Promise<ComputeRecord | undefined>;
  getById(id: string): Promise<ComputeRecord | undefined>;
  list(filter: ComputeFilter, page: PageRequest): Promise<Page<ComputeRecord>>;
  /** Every compute matching the filter (for loops and quota sums). */
  all(filter: ComputeFilter): Promise<ComputeRecord[]>;
  /** Throws NameConflict naming the clash when (location, name) is taken. */
  insert(record: ComputeRecord): Promise<void>;
  /**
   * Writes the spec side: compare-and-set on `record.version` (see Versions, on Store). The status
   * part in `record` (ComputeStatusPart) is ignored: the stored one is kept, so a spec written from
   * a stale read never undoes a status write. Answers the record as written, stored status included.
   */
  update(record: ComputeRecord): Promise<ComputeRecord>;
  /**
   * Writes the status part only, atomically: `change` gets the record as stored now and answers the
   * new status part (fields it leaves out are kept; undefined ones dropped), or undefined to write
   * nothing. Never bumps `version` and never conflicts with spec writes: the loops write here, and a
   * user's PATCH is never refused because a loop wrote. `change` must be synchronous and pure (the
   * store may run it under a row lock: PostgreSQL, SELECT … FOR UPDATE then UPDATE); what it throws
   * is thrown, nothing written. Answers the record as written, or undefined when the compute is gone
   * or nothing changed. Inside `transaction` it lands with the spec write beside it, or neither does.
   */
  updateStatus(
    id: string,
    change: (current: ComputeRecord) => Partial<ComputeStatusPart> | undefined,
  ): Promise<ComputeRecord | undefined>;
  delete(id: string): Promise<boolean>;
}

/** Encrypted secret values, by owner id and key; the store never sees plaintext. */
export interface SecretRepository {
  put(ownerId: string, key: string, ciphertext: string): Promise<void>;
  list(ownerId: string): Promise<Record<string, string>>;
  deleteOwner(ownerId: string): Promise<void>;
}

/** Append-only events. */
export interface EventRepository {
  append(event: NewEvent): Promise<EventRecord>;
  list(filter: { workspace?: string; resource?: string }, page: PageRequest): Promise<Page<EventRecord>>;
}

/** Filters for listing jobs. */
export interface JobFilter {
  workspace?: string;
  computeName?: string;
  experimentName?: string;
  statuses?: JobState[];
  nodeId?: string;
  /**
   * Only sweeps and pipelines (`controller` set) and children (`parentJobName` set: trials, steps):
   * what their loops look after, without reading every queued job.
   */
  family?: true;
}

/** What unfinished jobs (every state but Completed, Failed, Canceled) ask of node pools. */
export interface JobDemand {
  /**
   * Nodes wanted per `workspace/computeName`: the sum of `run.instanceCount`, leaving out ranks
   * (`gang.parent` set: a multi-node job counts once, on its parent) and sweeps and pipelines
   * (their trials and steps are the demand).
   */
  byCompute: ReadonlyMap<string, number>;
  /** Nodes holding an unfinished job, ranks included. */
  busyNodes: ReadonlySet<string>;
}

/** Jobs. */
export interface JobRepository {
  get(workspace: string, name: string): Promise<JobRecord | undefined>;
  /**
   * Top-level jobs, newest first: child jobs (a multi-node job's ranks, a sweep's trials, a pipeline's
   * steps: `gang.parent` or `parentJobName` set) are left out, as Azure's job list leaves them out.
   */
  list(filter: JobFilter, page: PageRequest): Promise<Page<JobRecord>>;
  all(filter: JobFilter): Promise<readonly JobRecord[]>;
  /** Demand of the unfinished jobs, without reading each (the node pool asks every pass). */
  demand(): Promise<JobDemand>;
  /** Jobs (ranks included) whose code, inputs, outputs or checkpoint is this snapshot (see snapshotIdsOf). */
  referencing(snapshotId: string): Promise<JobRecord[]>;
  /** Throws NameConflict when the name is taken in the workspace. */
  insert(record: JobRecord): Promise<void>;
  /** Compare-and-set on `record.version` (see Versions, on Store); answers the record as written. */
  update(record: JobRecord): Promise<JobRecord>;
  /** Next value of the FIFO sequence. */
  nextQueueSeq(): Promise<number>;
}

/** Nodes. */
export interface NodeRepository {
  get(id: string): Promise<NodeRecord | undefined>;
  bySessionTokenHash(hash: string): Promise<NodeRecord | undefined>;
  byTokenHash(hash: string): Promise<NodeRecord | undefined>;
  all(filter: { computeId?: string; workspace?: string }): Promise<NodeRecord[]>;
  insert(record: NodeRecord): Promise<void>;
  /** Compare-and-set on `record.version` (see Versions, on Store); answers the record as written. */
  update(record: NodeRecord): Promise<NodeRecord>;
  delete(id: string): Promise<boolean>;
}

/** Registered environments: versions are immutable. */
export interface EnvironmentRepository {
  get(workspace: string, name: string, version: string): Promise<EnvironmentRecord | undefined>;
  /** The most recently created non-archived version of a name. */
  latest(workspace: string, name: string): Promise<EnvironmentRecord | undefined>;
  /** Newest first; `view` defaults to ActiveOnly (archived versions hidden). */
  list(
    workspace: string,
    filter: { name?: string; view?: ListView },
    page: PageRequest,
  ): Promise<Page<EnvironmentRecord>>;
  /** Throws NameConflict when this name and version exist. */
  insert(record: EnvironmentRecord): Promise<void>;
  /** Rewrites a version's mutable parts (archived, labels, description, tags); false when it does not exist. */
  update(record: EnvironmentRecord): Promise<boolean>;
}

/** Filters for listing asset versions. `view` defaults to ActiveOnly (archived versions hidden). */
export interface AssetFilter {
  name?: string;
  view?: ListView;
}

/**
 * Versioned assets of every kind (data, models, components, datastores) in one generic table,
 * plus lineage edges between jobs and asset versions. PostgreSQL: one `assets` table keyed
 * (kind, workspace, name, version) with a creation sequence, `doc` as JSON.
 */
export interface AssetRepository {
  get(kind: AssetKind, workspace: string, name: string, version: string): Promise<AssetRecord | undefined>;
  /** Newest first, by creation order. */
  list(
    kind: AssetKind,
    workspace: string,
    filter: AssetFilter,
    page: PageRequest,
  ): Promise<Page<AssetRecord>>;
  /** Every match, newest first (containers, next version, latest). */
  all(kind: AssetKind, workspace: string, filter: AssetFilter): Promise<AssetRecord[]>;
  /** Throws AssetVersionExists naming name:version when that version exists. */
  insert(record: AssetRecord): Promise<void>;
  /** Rewrites the mutable parts (archived, modifiedAt, doc); false when the version does not exist. */
  update(record: AssetRecord): Promise<boolean>;
  delete(kind: AssetKind, workspace: string, name: string, version: string): Promise<boolean>;
  /** Every distinct snapshot id an asset version (archived or not) points at. */
  snapshotIds(): Promise<string[]>;
  /** Stores lineage edges; an edge already stored is kept once. */
  addLineage(entries: LineageEntry[]): Promise<void>;
  /** Edges of one job, in the order stored. */
  lineageOfJob(workspace: string, job: string): Promise<LineageEntry[]>;
  /** Edges naming an asset (one version, or every version), in the order stored. */
  lineageOfAsset(
    workspace: string,
    kind: LineageEntry['kind'],
    name: string,
    version?: string,
  ): Promise<LineageEntry[]>;
}

/** Metrics, params and tags a job logs (MLflow's run data); keyed by workspace and job name. */
export interface RunDataRepository {
  logMetrics(workspace: string, job: string, points: MetricPoint[]): Promise<void>;
  /** Every value of one metric, in logging order. */
  metricHistory(workspace: string, job: string, key: string): Promise<MetricPoint[]>;
  /** The last value of every metric. */
  latestMetrics(workspace: string, job: string): Promise<MetricPoint[]>;
  /** Params are write-once: a different value for a logged key throws ValidationFailed naming it (HTTP 400, as MLflow answers INVALID_PARAMETER_VALUE). */
  logParams(workspace: string, job: string, params: KeyValue[]): Promise<void>;
  params(workspace: string, job: string): Promise<KeyValue[]>;
  setTags(workspace: string, job: string, tags: KeyValue[]): Promise<void>;
  tags(workspace: string, job: string): Promise<KeyValue[]>;
}

/** One point of a sampled series (node and job utilisation); `resolutionMs` is the span it averages (0: raw). */
export interface SamplePoint {
  /** Whose series: `node/<id>` or `job/<workspace>/<name>`. */
  scope: string;
  key: string;
  /** Milliseconds since the epoch (the bucket's start once downsampled). */
  t: number;
  value: number;
  resolutionMs: number;
}

/** Sampled time series, averaged into coarser buckets as they age and dropped when old (bounded). */
export interface SampleRepository {
  append(points: SamplePoint[]): Promise<void>;
  /** A scope's points at or after `sinceMs`, by key then time. */
  read(scope: string, sinceMs?: number): Promise<SamplePoint[]>;
  /** Replaces points older than `beforeMs` and finer than `bucketMs` by one average per key and bucket; answers how many were folded. */
  downsample(beforeMs: number, bucketMs: number): Promise<number>;
  /** Deletes every point older than `beforeMs`; answers how many. */
  prune(beforeMs: number): Promise<number>;
}

/**
 * Online endpoints: names are unique across workspaces (case-insensitive), since the scoring URL
 * (`/endpoints/{name}/score`) names the endpoint alone, as Azure's are unique per region.
 */
export interface OnlineEndpointRepository {
  get(workspace: string, name: string): Promise<EndpointRecord | undefined>;
  /** By name in any workspace (the scoring router). */
  byName(name: string): Promise<EndpointRecord | undefined>;
  /** A workspace's endpoints (every workspace's when omitted), by name. */
  list(workspace?: string): Promise<EndpointRecord[]>;
  /** Throws NameConflict when the name is taken (in any workspace). */
  insert(record: EndpointRecord): Promise<void>;
  /** Compare-and-set on `record.version` (see Versions, on Store); answers the record as written. */
  update(record: EndpointRecord): Promise<EndpointRecord>;
  delete(workspace: string, name: string): Promise<boolean>;
}

/** Online deployments, keyed (workspace, endpoint, name), names case-insensitive. */
export interface OnlineDeploymentRepository {
  get(workspace: string, endpoint: string, name: string): Promise<DeploymentRecord | undefined>;
  /** One endpoint's deployments, or every deployment (the deployment loop), by name. */
  list(filter: { workspace?: string; endpoint?: string }): Promise<DeploymentRecord[]>;
  /** Throws NameConflict when the endpoint has a deployment of that name. */
  insert(record: DeploymentRecord): Promise<void>;
  /** Compare-and-set on `record.version` (see Versions, on Store); answers the record as written. */
  update(record: DeploymentRecord): Promise<DeploymentRecord>;
  delete(workspace: string, endpoint: string, name: string): Promise<boolean>;
}

/** Users, API tokens and sessions (hashes only), custom roles and role assignments. */
export interface AccessRepository {
  getUser(id: string): Promise<UserRecord | undefined>;
  userByName(name: string): Promise<UserRecord | undefined>;
  users(): Promise<UserRecord[]>;
  /** Throws NameConflict when the name is taken. */
  insertUser(user: UserRecord): Promise<void>;
  updateUser(user: UserRecord): Promise<void>;
  insertToken(token: TokenRecord): Promise<void>;
  tokenByHash(hash: string): Promise<TokenRecord | undefined>;
  tokens(userId: string): Promise<TokenRecord[]>;
  revokeToken(id: string, at: string): Promise<boolean>;
  /** Custom role definitions (built-ins live in code). */
  roles(): Promise<RoleDefinition[]>;
  putRole(role: RoleDefinition): Promise<void>;
  deleteRole(name: string): Promise<boolean>;
  assignments(filter: { principalId?: string; scopePrefix?: string }): Promise<RoleAssignment[]>;
  insertAssignment(a: RoleAssignment): Promise<void>;
  deleteAssignment(id: string): Promise<boolean>;
}

/** The audit log: append-only, newest last. */
export interface AuditRepository {
  append(entry: Omit<AuditRecord, 'seq'>): Promise<void>;
  list(page: PageRequest): Promise<Page<AuditRecord>>;
}

/**
 * The one store interface; SQLite now, PostgreSQL later, both passing the contract suite.
 *
 * Versions: the store owns every record's `version`. Insert stores what it is given (1); `update`
 * takes the record as the caller read it and changed it, so its `version` is the version expected
 * in the store: when the stored one differs (someone wrote since), it throws Conflict and writes
 * nothing; else it writes `version + 1` and answers the record as written. Callers never compute a
 * version. PostgreSQL: `UPDATE … SET version = version + 1 WHERE … AND version = $expected`.
 */
export interface Store {
  readonly workspaces: WorkspaceRepository;
  readonly computes: ComputeRepository;
  readonly secrets: SecretRepository;
  readonly events: EventRepository;
  readonly jobs: JobRepository;
  readonly nodes: NodeRepository;
  readonly environments: EnvironmentRepository;
  readonly assets: AssetRepository;
  readonly runData: RunDataRepository;
  readonly samples: SampleRepository;
  readonly access: AccessRepository;
  readonly audit: AuditRepository;
  readonly onlineEndpoints: OnlineEndpointRepository;
  readonly onlineDeployments: OnlineDeploymentRepository;
  /**
   * Runs `fn` as one transaction: every write it makes through this store lands, or none does (a
   * throw rolls back). `fn` awaits only store calls, never other I/O, so no other request's writes
   * join it. Nested calls join the outer transaction. PostgreSQL: one client, BEGIN … COMMIT.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Applies pending migrations; returns the schema version. */
  migrate(): Promise<number>;
  close(): Promise<void>;
}
