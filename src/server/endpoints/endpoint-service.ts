import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../../domain/access/authorize.js';
import { snapshotOfPath } from '../../domain/assets/snapshot-uri.js';
import type {
  DeploymentGeneration,
  DeploymentRecord,
  EndpointRecord,
  ResolvedDeployment,
} from '../../domain/endpoints/endpoint-record.js';
import {
  parseDeploymentSpec,
  parseEndpointSpec,
  unknownDeploymentProblems,
  type DeploymentSpec,
} from '../../domain/endpoints/endpoint-spec.js';
import { HangarError, notFound, throwIfProblems } from '../../domain/errors/hangar-error.js';
import { subManifest } from '../../domain/snapshots/sub-manifest.js';
import { kindOf, kindsThat } from '../../domain/compute/compute-kinds.js';
import type { ComputeRecord } from '../../domain/compute/compute-record.js';
import { findVmSize } from '../../domain/compute/vm-sizes.js';
import { instanceTypeProblem } from '../../domain/endpoints/instance-type.js';
import { parseEnvironmentRef } from '../../domain/environments/environment-ref.js';
import type { LocationService } from '../services/location-service.js';
import type { ComputeService } from '../services/compute-service.js';
import type { EnvironmentDefinition } from '../../domain/nodes/agent-protocol.js';
import type { AssetService } from '../assets/asset-service.js';
import { resolveEnvironment } from '../jobs/environment-resolver.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import { RoutingCache } from './routing-cache.js';
import { percentile, tailOf, type ServingPool } from './serving-pool.js';

/** How long an aml_token lives (Azure's are about an hour); refresh after half of it. */
export const tokenLifetimeMs = 60 * 60 * 1000;

type Keys = { primaryKey: string; secondaryKey: string; tokenKey: string };

/** What the scoring router needs of one endpoint: the record, its keys and its deployments. */
export interface Route {
  endpoint: EndpointRecord;
  keys: Keys;
  deployments: DeploymentRecord[];
}

/**
 * How long the router may use a route without reading the store: this server's writes drop it at
 * once; another server's show here on the serving loop's next pass (≤ 500 ms), or within this.
 */
export const routeTtlMs = 1000;
const secretOwner = (e: EndpointRecord): string => `online-endpoint:${e.id}`;
const newKey = (): string => randomBytes(24).toString('base64url');

/** The fields of a deployment that make a new generation when they change (not its size). */
function template(spec: DeploymentSpec): string {
  const { instance_count: _c, scale_settings: _s, description: _d, tags: _t, ...rest } = spec;
  return JSON.stringify(rest);
}

/**
 * Online endpoints and deployments: records desired state (the serving loop starts replicas),
 * keys and tokens (secrets, never in a read), and what the router needs to authenticate.
 */
export class EndpointService {
  private servingPool: ServingPool | undefined;
  /** The router's table, by endpoint name (lower case: names are unique case-insensitively). */
  readonly routes: RoutingCache<Route>;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly snapshots: SnapshotService,
    private readonly assets: AssetService,
    /** The host's GPUs, for managed instance types (absent: not checked). */
    private readonly locations?: Pick<LocationService, 'gpus'>,
    /** Creates the built-in serving pool of managed deployments with packages. */
    private readonly computes?: Pick<ComputeService, 'createOrUpdate'>,
  ) {
    this.routes = new RoutingCache(
      (name) => this.loadRoute(name),
      routeTtlMs,
      () => this.ctx.clock.elapsedMs(),
    );
  }

  get pool(): ServingPool | undefined {
    return this.servingPool;
  }

  /** The serving loop tells the router's cache when a generation starts serving. */
  set pool(pool: ServingPool | undefined) {
    this.servingPool = pool;
    if (pool) {
      pool.routesChanged = () => this.routes.invalidate();
      // A request held by a deployment scaled to zero: the serving loop decides the scale-up now.
      pool.scaleUp = () => this.ctx.wake();
    }
  }

  /** The route of endpoint `name` for the scoring router (cached; see routeTtlMs). */
  route(name: string): Promise<Route | undefined> {
    return this.routes.get(name.toLowerCase());
  }

  private async loadRoute(name: string): Promise<Route | undefined> {
    const endpoint = await this.ctx.store.onlineEndpoints.byName(name);
    if (!endpoint) return undefined;
    const [keys, deployments] = await Promise.all([
      this.keys(endpoint),
      this.ctx.store.onlineDeployments.list({ workspace: endpoint.workspace, endpoint: endpoint.name }),
    ]);
    return { endpoint, keys, deployments };
  }

  private async workspace(ws: string): Promise<void> {
    if (!(await this.ctx.store.workspaces.get(ws))) throw notFound('Workspace', ws);
  }

  async endpoint(ws: string, name: string): Promise<EndpointRecord> {
    const e = await this.ctx.store.onlineEndpoints.get(ws, name);
    if (!e) throw notFound('Online endpoint', name, `workspace '${ws}'`);
    return e;
  }

  listEndpoints(ws: string): Promise<EndpointRecord[]> {
    return this.ctx.store.onlineEndpoints.list(ws);
  }

  /** Creates (mode create: refused when it exists), or replaces the spec of, an endpoint. */
  async putEndpoint(
    ws: string,
    name: string,
    raw: unknown,
    caller: Principal,
    mode: 'create' | 'update' | 'upsert',
  ): Promise<EndpointRecord> {
    await this.workspace(ws);
    const spec = parseEndpointSpec(raw);
    if (spec.name.toLowerCase() !== name.toLowerCase())
      throw new HangarError(
        'ValidationFailed',
        `name: the body names '${spec.name}' but the path names '${name}'`,
        'name',
      );
    const existing = await this.ctx.store.onlineEndpoints.get(ws, name);
    if (existing && mode === 'create')
      throw new HangarError(
        'NameConflict',
        `An online endpoint named '${name}' already exists; change it with \`hangar online-endpoint update\`.`,
        'name',
      );
    if (!existing && mode === 'update') throw notFound('Online endpoint', name, `workspace '${ws}'`);
    const deployments = existing
      ? (await this.ctx.store.onlineDeployments.list({ workspace: ws, endpoint: name })).map((d) => d.name)
      : [];
    throwIfProblems([
      ...unknownDeploymentProblems(spec.traffic ?? {}, 'traffic', deployments),
      ...unknownDeploymentProblems(spec.mirror_traffic ?? {}, 'mirror_traffic', deployments),
    ]);
    if (existing && existing.spec.auth_mode !== spec.auth_mode)
      throw new HangarError(
        'ImmutableField',
        `auth_mode: fixed at creation ('${existing.spec.auth_mode}'); got '${spec.auth_mode}'`,
        'auth_mode',
      );
    const now = this.ctx.clock.now().toISOString();
    if (existing) {
      const written = await this.ctx.store.onlineEndpoints.update({
        ...existing,
        spec,
        provisioningState: 'Succeeded',
        modifiedAt: now,
      });
      this.routes.invalidate();
      this.ctx.wake();
      return written;
    }
    const record: EndpointRecord = {
      id: randomUUID(),
      workspace: ws,
      name: spec.name,
      spec,
      provisioningState: 'Succeeded',
      createdAt: now,
      modifiedAt: now,
      createdBy: caller.name,
      version: 1,
    };
    await this.ctx.store.transaction(async () => {
      await this.ctx.store.onlineEndpoints.insert(record);
      await this.putKeys(record, { primaryKey: newKey(), secondaryKey: newKey(), tokenKey: newKey() });
    });
    this.routes.invalidate();
    return record;
  }

  /** Changes traffic and mirror weights only (update --traffic / --mirror-traffic). */
  async setTraffic(
    ws: string,
    name: string,
    change: { traffic?: Record<string, number>; mirror_traffic?: Record<string, number> },
  ): Promise<EndpointRecord> {
    const e = await this.endpoint(ws, name);
    const spec = {
      ...e.spec,
      ...(change.traffic ? { traffic: change.traffic } : {}),
      ...(change.mirror_traffic ? { mirror_traffic: change.mirror_traffic } : {}),
    };
    return this.putEndpoint(ws, name, spec, { kind: 'user', objectId: '', name: '' }, 'update');
  }

  async deleteEndpoint(ws: string, name: string): Promise<void> {
    const e = await this.endpoint(ws, name);
    const deployments = await this.ctx.store.onlineDeployments.list({ workspace: ws, endpoint: name });
    await this.ctx.store.transaction(async () => {
      for (const d of deployments) await this.ctx.store.onlineDeployments.delete(ws, name, d.name);
      await this.ctx.store.onlineEndpoints.delete(ws, name);
      await this.ctx.store.secrets.deleteOwner(secretOwner(e));
    });
    this.routes.invalidate();
    this.ctx.wake();
  }

  private async putKeys(e: EndpointRecord, keys: Partial<Keys>): Promise<void> {
    for (const [k, v] of Object.entries(keys))
      if (v !== undefined) await this.ctx.store.secrets.put(secretOwner(e), k, this.ctx.secrets.encrypt(v));
    this.routes.invalidate();
  }

  private async keys(e: EndpointRecord): Promise<Keys> {
    const stored = await this.ctx.store.secrets.list(secretOwner(e));
    const get = (k: keyof Keys): string => (stored[k] ? this.ctx.secrets.decrypt(stored[k]) : '');
    return { primaryKey: get('primaryKey'), secondaryKey: get('secondaryKey'), tokenKey: get('tokenKey') };
  }

  /** Azure's listKeys: `{primaryKey, secondaryKey}` (key auth only). */
  async listKeys(ws: string, name: string): Promise<{ primaryKey: string; secondaryKey: string }> {
    const e = await this.endpoint(ws, name);
    if (e.spec.auth_mode !== 'key')
      throw new HangarError(
        'OperationNotSupported',
        `Online endpoint '${name}' authenticates by ${e.spec.auth_mode}; get a token with \`hangar online-endpoint get-credentials\` instead of keys.`,
        'auth_mode',
      );
    const { primaryKey, secondaryKey } = await this.keys(e);
    return { primaryKey, secondaryKey };
  }

  /** Azure's regenerateKeys: a new primary or secondary key (or the one given). */
  async regenerateKeys(
    ws: string,
    name: string,
    keyType: 'Primary' | 'Secondary',
    keyValue?: string,
  ): Promise<void> {
    const e = await this.endpoint(ws, name);
    if (keyValue !== undefined && keyValue.length < 16)
      throw new HangarError(
        'ValidationFailed',
        'keyValue: at least 16 characters; got a shorter one',
        'keyValue',
      );
    await this.putKeys(
      e,
      keyType === 'Primary' ? { primaryKey: keyValue ?? newKey() } : { secondaryKey: keyValue ?? newKey() },
    );
  }

  /** Azure's token call for aml_token endpoints: a signed token with its expiry. */
  async token(
    ws: string,
    name: string,
  ): Promise<{ accessToken: string; tokenType: string; expiryTimeUtc: number; refreshAfterTimeUtc: number }> {
    const e = await this.endpoint(ws, name);
    if (e.spec.auth_mode !== 'aml_token')
      throw new HangarError(
        'OperationNotSupported',
        `Online endpoint '${name}' authenticates by key; get its keys with \`hangar online-endpoint get-credentials\`.`,
        'auth_mode',
      );
    const nowMs = this.ctx.clock.now().getTime();
    const exp = nowMs + tokenLifetimeMs;
    const payload = Buffer.from(JSON.stringify({ e: e.id, exp })).toString('base64url');
    const sig = createHmac('sha256', (await this.keys(e)).tokenKey)
      .update(payload)
      .digest('base64url');
    return {
      accessToken: `${payload}.${sig}`,
      tokenType: 'Bearer',
      expiryTimeUtc: Math.floor(exp / 1000),
      refreshAfterTimeUtc: Math.floor((nowMs + tokenLifetimeMs / 2) / 1000),
    };
  }

  /** The router's check: a key (key auth) or an unexpired token (aml_token). Throws Unauthenticated. */
  async authenticate(e: EndpointRecord, authorization: string | undefined, known?: Keys): Promise<void> {
    const presented = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
    const denied = (why: string): HangarError =>
      new HangarError('Unauthenticated', `Online endpoint '${e.name}': ${why}`, 'Authorization');
    if (!presented)
      throw denied(
        `send 'Authorization: Bearer <${e.spec.auth_mode === 'key' ? 'key' : 'token'}>' (hangar online-endpoint get-credentials -n ${e.name})`,
      );
    const keys = known ?? (await this.keys(e));
    const same = (a: string, b: string): boolean => {
      const x = Buffer.from(a);
      const y = Buffer.from(b);
      return b !== '' && x.length === y.length && timingSafeEqual(x, y);
    };
    if (e.spec.auth_mode === 'key') {
      if (same(presented, keys.primaryKey) || same(presented, keys.secondaryKey)) return;
      throw denied('the key is not one of its keys (regenerated?)');
    }
    const [payload = '', sig = ''] = presented.split('.');
    const expected = createHmac('sha256', keys.tokenKey).update(payload).digest('base64url');
    if (!same(sig, expected)) throw denied('the token is not one it issued');
    let claims: { e?: string; exp?: number };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      throw denied('the token is malformed');
    }
    if (claims.e !== e.id) throw denied('the token is for another endpoint');
    if ((claims.exp ?? 0) <= this.ctx.clock.now().getTime())
      throw denied(`the token expired at ${new Date(claims.exp ?? 0).toISOString()}; get a new one`);
  }

  endpointByName(name: string): Promise<EndpointRecord | undefined> {
    return this.ctx.store.onlineEndpoints.byName(name);
  }

  // ---- deployments ----

  async deployment(ws: string, endpoint: string, name: string): Promise<DeploymentRecord> {
    const d = await this.ctx.store.onlineDeployments.get(ws, endpoint, name);
    if (!d) throw notFound('Online deployment', name, `endpoint '${endpoint}'`);
    return d;
  }

  async listDeployments(ws: string, endpoint: string): Promise<DeploymentRecord[]> {
    await this.endpoint(ws, endpoint);
    return this.ctx.store.onlineDeployments.list({ workspace: ws, endpoint });
  }

  /** Everything a replica runs, checked before anything starts: code and scoring_script, model, environment. */
  private async resolve(
    ws: string,
    spec: DeploymentSpec,
    caller: Principal,
    poolName: string | undefined,
  ): Promise<ResolvedDeployment> {
    const cc = spec.code_configuration;
    if (!cc) throw new HangarError('ValidationFailed', 'code_configuration: required', 'code_configuration');
    const codePath = /^azureml:\/\/datastores\/workspaceblobstore\/paths\/(.*)$/.exec(cc.code)?.[1];
    const code = codePath !== undefined ? snapshotOfPath(codePath) : undefined;
    if (!code)
      throw new HangarError(
        'ValidationFailed',
        `code_configuration.code: give a local folder (the CLI uploads it); got '${cc.code}'`,
        'code_configuration.code',
      );
    const manifest = subManifest(await this.snapshots.getManifest(code.snapshotId), code.subPath);
    const script = cc.scoring_script.replace(/^\.\//, '');
    if (!manifest?.entries.some((e) => e.kind === 'file' && e.path === script))
      throw new HangarError(
        'ValidationFailed',
        `code_configuration.scoring_script: '${cc.scoring_script}' is not in the code folder (${(
          manifest?.entries ?? []
        )
          .filter((e) => e.kind === 'file')
          .slice(0, 10)
          .map((e) => e.path)
          .join(', ')})`,
        'code_configuration.scoring_script',
      );
    let model: ResolvedDeployment['model'];
    if (spec.model !== undefined) {
      const ref = typeof spec.model === 'string' ? spec.model : spec.model.path;
      const r = await this.assets.resolveDataReference(ws, ref, {
        caller,
        field: 'model',
        assetKind: 'model',
      });
      if (r.kind !== 'snapshot')
        throw new HangarError(
          'ValidationFailed',
          `model: '${ref}' is not stored in Hangar (${r.kind}); register the model from a local folder or file`,
          'model',
        );
      model = {
        snapshotId: r.snapshotId,
        subPath: r.subPath,
        display: r.asset ? `azureml:${r.asset.name}:${r.asset.version}` : ref,
      };
    }
    let python = 'python3';
    let environment = 'user-managed (python3)';
    let definition: EnvironmentDefinition = { kind: 'user-managed' };
    await this.refuseCustomContainer(ws, spec.environment);
    if (spec.environment !== undefined) {
      const env = await resolveEnvironment(
        this.ctx.store,
        ws,
        typeof spec.environment === 'string' ? spec.environment : spec.environment,
        this.ctx.config.environmentAliases,
      );
      definition = env.definition;
      if (env.definition.kind === 'user-managed') {
        python = env.definition.python ?? 'python3';
        environment = env.display;
      } else
        environment =
          poolName || env.definition.kind === 'pip' || env.definition.kind === 'conda'
            ? env.display
            : `${env.display} (its packages are not installed on the serving pool yet: replicas run the host's python3)`;
    }
    const compute = poolName ? await this.poolCompute(ws, poolName) : undefined;
    await this.checkInstanceType(ws, spec, compute);
    // A managed deployment whose environment has packages runs on the workspace's built-in inference
    // pool (created on first use), whose nodes build the environment as they do for jobs.
    const needsPackages = definition.kind === 'pip' || definition.kind === 'conda';
    const poolCompute =
      compute?.name ?? (needsPackages ? await this.managedPool(ws, spec.instance_type) : undefined);
    const pool = poolCompute ? { compute: poolCompute, environment: definition } : undefined;
    return { code, ...(model ? { model } : {}), python, environment, ...(pool ? { pool } : {}) };
  }

  /**
   * The compute whose nodes host a Kubernetes deployment's replicas: an inference cluster (`aks`,
   * `kubernetes`), or any compute that runs jobs (a cluster, an SSH machine, Slurm), by name.
   */
  private async poolCompute(ws: string, raw: string): Promise<ComputeRecord> {
    const name = raw.replace(/^azureml:/, '');
    const compute = await this.ctx.store.computes.get(ws, name);
    if (!compute)
      throw new HangarError(
        'NotFound',
        `compute: '${name}' does not exist in workspace '${ws}'; create an inference cluster (hangar compute create --type aks) or name a compute cluster (hangar compute list).`,
        'compute',
      );
    const k = kindOf(compute.spec);
    if (!k.getsNodes || !(k.servesInference || k.runnableHere) || k.isInstance)
      throw new HangarError(
        'ValidationFailed',
        `compute: '${name}' is a ${compute.spec.computeType} compute; replicas run on ${[
          ...kindsThat('servesInference'),
          ...kindsThat('runnableHere').filter((t) => !kindOf(t).isInstance),
        ].join(', ')} computes.`,
        'compute',
      );
    if (compute.status.provisioningState === 'Deleting' || compute.status.provisioningState === 'Failed')
      throw new HangarError(
        'ValidationFailed',
        `compute: '${name}' is ${compute.status.provisioningState}; it cannot host replicas.`,
        'compute',
      );
    return compute;
  }

  /**
   * A custom container (an environment with `inference_config`: the image serves its own routes)
   * is refused at create, naming the environment: Hangar runs score.py in its own scoring host.
   */
  private async refuseCustomContainer(ws: string, env: DeploymentSpec['environment']): Promise<void> {
    let config: unknown;
    if (env && typeof env === 'object') config = env.inference_config;
    else if (typeof env === 'string' && !env.startsWith('azureml://')) {
      // A workspace environment (registries hold none here); a bad reference is refused as resolve would.
      const ref = parseEnvironmentRef(env);
      const record = ref.version
        ? await this.ctx.store.environments.get(ws, ref.name, ref.version)
        : await this.ctx.store.environments.latest(ws, ref.name);
      config = record?.inferenceConfig;
    }
    if (config === undefined) return;
    throw new HangarError(
      'ValidationFailed',
      `environment: '${typeof env === 'string' ? env : 'inline'}' is a custom container (inference_config: its image serves its own routes); Hangar runs score.py in its own scoring host and does not run custom containers (they would also need a container runtime, podman or docker, on the nodes). Use an environment without inference_config, with a code_configuration.`,
      'environment',
    );
  }

  /**
   * The built-in inference pool of managed deployments whose environment has packages: an `aks`
   * compute per instance size (`serving`, or `serving-<size>`), 0..jobs.serverlessMaxInstances
   * nodes of that size started as replicas need them, created on first use as the serverless pools
   * of jobs are.
   */
  private async managedPool(ws: string, instanceType: string | undefined): Promise<string> {
    const fallback = this.ctx.config.jobs.serverlessDefaultSize;
    const size = (instanceType ? findVmSize(instanceType)?.name : undefined) ?? fallback;
    const slug = size
      .toLowerCase()
      .replace(/^standard_/, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
    const name =
      size.toLowerCase() === fallback.toLowerCase()
        ? 'serving'
        : `serving-${slug}`.slice(0, 16).replace(/-+$/, '');
    if (await this.ctx.store.computes.get(ws, name)) return name;
    if (!this.computes)
      throw new HangarError('OperationNotSupported', 'this server has no compute service for a serving pool');
    try {
      await this.computes.createOrUpdate(ws, name, {
        tags: { 'hangar.managedServing': 'true' },
        properties: {
          computeType: 'AKS',
          description: `Built-in serving pool of managed deployments (${size}); created on first use, nodes start as replicas need them.`,
          properties: {
            agentCount: this.ctx.config.jobs.serverlessMaxInstances,
            agentVmSize: size,
            clusterPurpose: 'DevTest',
          },
        },
      });
    } catch (err) {
      // Two first deployments at once: the other one created it.
      if (!(await this.ctx.store.computes.get(ws, name))) throw err;
    }
    return name;
  }

  /** An instance_type that a node of the pool (or the serving pool's host) cannot hold is refused before anything starts. */
  private async checkInstanceType(
    ws: string,
    spec: DeploymentSpec,
    pool: ComputeRecord | undefined,
  ): Promise<void> {
    const p = pool?.spec.properties as { vmSize?: string; agentVmSize?: string } | undefined;
    const nodeSizeName = p?.agentVmSize ?? p?.vmSize;
    const nodeSize = nodeSizeName ? findVmSize(nodeSizeName) : undefined;
    const location = pool ? undefined : (await this.ctx.store.workspaces.get(ws))?.location;
    const hostGpus = location && this.locations ? this.locations.gpus(location)?.total : undefined;
    const why = instanceTypeProblem({
      instanceType: spec.instance_type,
      where: pool ? `compute '${pool.name}'` : 'the serving pool',
      ...(nodeSize ? { nodeSize } : {}),
      ...(hostGpus !== undefined ? { hostGpus } : {}),
    });
    if (why) throw new HangarError('ValidationFailed', why, 'instance_type');
  }

  /** Creates or updates a deployment; a changed template makes a new generation, the old one serving until it is ready. */
  async putDeployment(
    ws: string,
    endpoint: string,
    name: string,
    raw: unknown,
    caller: Principal,
    mode: 'create' | 'update' | 'upsert',
  ): Promise<DeploymentRecord> {
    await this.workspace(ws);
    const body =
      raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const spec = parseDeploymentSpec({ endpoint_name: endpoint, ...body });
    if (spec.name.toLowerCase() !== name.toLowerCase())
      throw new HangarError(
        'ValidationFailed',
        `name: the body names '${spec.name}' but the path names '${name}'`,
        'name',
      );
    if (spec.endpoint_name.toLowerCase() !== endpoint.toLowerCase())
      throw new HangarError(
        'ValidationFailed',
        `endpoint_name: the body names '${spec.endpoint_name}' but the path names '${endpoint}'`,
        'endpoint_name',
      );
    const ep = await this.endpoint(ws, endpoint);
    if (spec.type === 'kubernetes' && !ep.spec.compute && !spec.compute)
      throw new HangarError(
        'ValidationFailed',
        'compute: a Kubernetes online deployment runs on an inference cluster; name one (compute: on the deployment or its endpoint), or leave type out for a managed deployment',
        'compute',
      );
    const existing = await this.ctx.store.onlineDeployments.get(ws, endpoint, name);
    if (existing && mode === 'create')
      throw new HangarError(
        'NameConflict',
        `Endpoint '${endpoint}' already has a deployment named '${name}'; change it with \`hangar online-deployment update\`.`,
        'name',
      );
    if (!existing && mode === 'update') throw notFound('Online deployment', name, `endpoint '${endpoint}'`);
    if (!existing && (await this.ctx.store.onlineDeployments.list({ workspace: ws, endpoint })).length >= 20)
      throw new HangarError(
        'QuotaExceeded',
        `Endpoint '${endpoint}' has 20 deployments, Azure's limit.`,
        'name',
      );
    const now = this.ctx.clock.now().toISOString();
    if (existing) {
      const same = template(existing.desired.spec) === template(spec);
      const desired: DeploymentGeneration = same
        ? { ...existing.desired, spec }
        : {
            number: existing.desired.number + 1,
            spec,
            resolved: await this.resolve(ws, spec, caller, spec.compute ?? ep.spec.compute),
          };
      const written = await this.ctx.store.onlineDeployments.update({
        ...existing,
        desired,
        // The generation that serves keeps its size in step when only the size changed.
        ...(same && existing.serving?.number === desired.number ? { serving: desired } : {}),
        status: {
          ...existing.status,
          provisioningState: same ? 'Scaling' : 'Updating',
          reason: same ? 'scaling to the new instance count' : `starting generation ${desired.number}`,
        },
        modifiedAt: now,
      });
      this.routes.invalidate();
      this.ctx.wake();
      return written;
    }
    const record: DeploymentRecord = {
      id: randomUUID(),
      workspace: ws,
      endpoint: ep.name,
      name: spec.name,
      desired: {
        number: 1,
        spec,
        resolved: await this.resolve(ws, spec, caller, spec.compute ?? ep.spec.compute),
      },
      status: { provisioningState: 'Creating', reason: 'starting replicas' },
      createdAt: now,
      modifiedAt: now,
      createdBy: caller.name,
      version: 1,
    };
    await this.ctx.store.onlineDeployments.insert(record);
    this.routes.invalidate();
    this.ctx.wake();
    return record;
  }

  async deleteDeployment(ws: string, endpoint: string, name: string): Promise<void> {
    const d = await this.deployment(ws, endpoint, name);
    const ep = await this.endpoint(ws, endpoint);
    const weight =
      Object.entries(ep.spec.traffic ?? {}).find(([k]) => k.toLowerCase() === d.name.toLowerCase())?.[1] ?? 0;
    if (weight > 0)
      throw new HangarError(
        'Conflict',
        `Deployment '${d.name}' takes ${weight}% of endpoint '${endpoint}''s traffic; move it first (hangar online-endpoint update -n ${endpoint} --traffic "...").`,
        'name',
      );
    const without = (m: Record<string, number> | undefined) =>
      m ? Object.fromEntries(Object.entries(m).filter(([k]) => k.toLowerCase() !== d.name.toLowerCase())) : m;
    await this.ctx.store.transaction(async () => {
      await this.ctx.store.onlineDeployments.delete(ws, endpoint, name);
      const traffic = without(ep.spec.traffic);
      const mirror = without(ep.spec.mirror_traffic);
      await this.ctx.store.onlineEndpoints.update({
        ...ep,
        spec: { ...ep.spec, ...(traffic ? { traffic } : {}), ...(mirror ? { mirror_traffic: mirror } : {}) },
      });
    });
    this.routes.invalidate();
    this.ctx.wake();
  }

  /** A replica's log (inference-server), or the last one's when none runs; storage-initializer: what was fetched. */
  async logs(ws: string, endpoint: string, name: string, tail: number, container: string): Promise<string> {
    const d = await this.deployment(ws, endpoint, name);
    if (container.toLowerCase() === 'storageinitializer' || container === 'storage-initializer') {
      const r = d.desired.resolved;
      return [
        `code: snapshot ${r.code.snapshotId}${r.code.subPath ? `/${r.code.subPath}` : ''}`,
        r.model ? `model: ${r.model.display} (snapshot ${r.model.snapshotId})` : 'model: none',
        `environment: ${r.environment}`,
      ].join('\n');
    }
    const failedLog = this.pool?.lastLogs.get(d.id) ?? d.status.logTail;
    if (d.status.failedGeneration === d.desired.number && failedLog)
      return failedLog.split('\n').slice(-tail).join('\n');
    const replicas = this.pool?.peek(d.id)?.replicas ?? [];
    const replica = replicas.find((r) => r.generation === d.desired.number) ?? replicas[0];
    if (replica) return tailOf(replica.proc.logPath, tail);
    return (this.pool?.lastLogs.get(d.id) ?? d.status.logTail ?? '').split('\n').slice(-tail).join('\n');
  }

  /** Online deployments in the Prometheus text format: requests, errors, in flight, queued, ready replicas, latency. */
  async prometheusText(): Promise<string> {
    const deployments = await this.ctx.store.onlineDeployments.list({});
    const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
    const families: [string, string, 'counter' | 'gauge', (d: DeploymentRecord) => number | undefined][] = [
      [
        'hangar_online_deployment_requests_total',
        'Scoring requests answered',
        'counter',
        (d) => this.metrics(d)?.requests ?? 0,
      ],
      [
        'hangar_online_deployment_errors_total',
        'Scoring requests that failed (424, 408)',
        'counter',
        (d) => this.metrics(d)?.errors ?? 0,
      ],
      [
        'hangar_online_deployment_in_flight',
        'Scoring requests in flight',
        'gauge',
        (d) => this.metrics(d)?.inFlight ?? 0,
      ],
      [
        'hangar_online_deployment_queued',
        'Scoring requests waiting for a free replica (at most max_queue_wait_ms)',
        'gauge',
        (d) => this.metrics(d)?.queued ?? 0,
      ],
      [
        'hangar_online_deployment_ready_replicas',
        'Ready replicas of the serving generation',
        'gauge',
        (d) => d.status.readyReplicas ?? 0,
      ],
      [
        'hangar_online_deployment_latency_p50_ms',
        'Median scoring latency (last 1000 requests)',
        'gauge',
        (d) => this.metrics(d)?.latencyP50Ms,
      ],
      [
        'hangar_online_deployment_latency_p99_ms',
        '99th percentile scoring latency (last 1000 requests)',
        'gauge',
        (d) => this.metrics(d)?.latencyP99Ms,
      ],
    ];
    const lines: string[] = [];
    for (const [name, help, type, value] of families) {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const d of deployments) {
        const v = value(d);
        if (v !== undefined)
          lines.push(
            `${name}{workspace="${esc(d.workspace)}",endpoint="${esc(d.endpoint)}",deployment="${esc(d.name)}"} ${v}`,
          );
      }
    }
    return `${lines.join('\n')}\n`;
  }

  /** Request counts and latency percentiles this server measured for a deployment. */
  metrics(d: DeploymentRecord): Record<string, number> | undefined {
    const p = this.pool?.peek(d.id);
    if (!p) return undefined;
    const p50 = percentile(p.latencies, 50);
    const p99 = percentile(p.latencies, 99);
    return {
      requests: p.requests,
      errors: p.errors,
      inFlight: p.inFlight,
      queued: p.queued,
      ...(p.lastColdStartMs !== undefined ? { lastColdStartMs: Math.round(p.lastColdStartMs) } : {}),
      ...(p50 !== undefined ? { latencyP50Ms: Math.round(p50) } : {}),
      ...(p99 !== undefined ? { latencyP99Ms: Math.round(p99) } : {}),
    };
  }
}
