import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from '../../domain/access/authorize.js';
import type { ListView } from '../../domain/assets/asset-record.js';
import { checkAssetName, checkAssetVersion, nextVersion } from '../../domain/assets/asset-names.js';
import {
  assetId,
  toContainerResource,
  type ContainerResource,
  type VersionResource,
} from '../../domain/assets/asset-view.js';
import type { EnvironmentRecord } from '../../domain/environments/environment-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { EnvironmentDefinition } from '../../domain/nodes/agent-protocol.js';
import type { Page, PageRequest } from '../../store/store.js';
import type { ServiceContext } from '../services/service-context.js';

/** PUT body of an environment version (Azure's EnvironmentVersion properties). */
export const environmentVersionRequestSchema = z.strictObject({
  properties: z.strictObject({
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).default({}),
    properties: z.record(z.string(), z.string()).optional(),
    image: z.string().min(1).optional(),
    /** The conda file's YAML text. */
    condaFile: z.string().min(1).optional(),
    /** A Docker build context: `contextUri` (a local path in the Python SDK) and the Dockerfile in it. */
    build: z
      .strictObject({ contextUri: z.string().min(1), dockerfilePath: z.string().min(1).optional() })
      .optional(),
    osType: z.enum(['Linux', 'Windows']).optional(),
    isAnonymous: z.boolean().optional(),
    isArchived: z.boolean().optional(),
    autoRebuild: z.string().optional(),
    inferenceConfig: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type EnvironmentVersionRequest = z.infer<typeof environmentVersionRequestSchema>;

/** An environment version as the API returns it: Azure's envelope (`name` is the version). */
export const environmentVersionResourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  properties: z.object({
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()),
    image: z.string().optional(),
    condaFile: z.string().optional(),
    build: z.object({ contextUri: z.string(), dockerfilePath: z.string().optional() }).optional(),
    environmentType: z.literal('UserCreated'),
    osType: z.literal('Linux'),
    isArchived: z.boolean(),
    isAnonymous: z.boolean(),
    /** Hangar: how a node prepares it (conda → venv, image → container). */
    definitionKind: z.string(),
  }),
  systemData: z.object({ createdAt: z.string(), lastModifiedAt: z.string() }),
});
export type EnvironmentVersionResource = z.infer<typeof environmentVersionResourceSchema>;

/** Renders a stored environment version. */
export function toEnvironmentResource(r: EnvironmentRecord): EnvironmentVersionResource {
  const properties: EnvironmentVersionResource['properties'] = {
    tags: r.tags,
    environmentType: 'UserCreated',
    osType: 'Linux',
    isArchived: r.archived ?? false,
    isAnonymous: false,
    definitionKind: r.definition.kind,
  };
  if (r.description !== undefined) properties.description = r.description;
  if (r.image !== undefined) properties.image = r.image;
  if (r.condaFile !== undefined) properties.condaFile = r.condaFile;
  if (r.build !== undefined)
    properties.build = {
      contextUri: r.build.path,
      ...(r.build.dockerfilePath ? { dockerfilePath: r.build.dockerfilePath } : {}),
    };
  return {
    id: assetId('environment', r.workspace, r.name, r.version),
    name: r.version,
    type: 'Microsoft.MachineLearningServices/workspaces/environments/versions',
    properties,
    systemData: { createdAt: r.createdAt, lastModifiedAt: r.modifiedAt ?? r.createdAt },
  };
}

function definitionOf(image: string | undefined, condaFile: string | undefined): EnvironmentDefinition {
  if (image) return condaFile ? { kind: 'image', image, condaFile } : { kind: 'image', image };
  if (condaFile) return { kind: 'conda', condaFile };
  throw new HangarError(
    'ValidationFailed',
    'properties: an environment needs image or condaFile (or build).',
    'properties.image',
  );
}

/** The hash of what an environment is (not what it is called): the same spec registered again reuses it. */
export function environmentSpecHash(p: EnvironmentVersionRequest['properties']): string {
  const spec = { image: p.image ?? null, condaFile: p.condaFile ?? null, build: p.build ?? null };
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

/**
 * Registered environments: immutable versions, `latest` (newest non-archived), archive/restore,
 * and reuse: an identical spec registered without a version answers the version that has it.
 */
export class EnvironmentService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * Creates a version (`version` undefined: the version with an identical spec, else the next
   * integer). An existing version with the same spec updates description, tags and isArchived;
   * with another spec it is refused (AssetVersionExists, versions are immutable as in Azure ML).
   */
  async create(
    workspace: string,
    name: string,
    version: string | undefined,
    body: EnvironmentVersionRequest,
    caller?: Principal,
  ): Promise<{ record: EnvironmentRecord; created: boolean }> {
    if (!(await this.ctx.store.workspaces.get(workspace)))
      throw new HangarError('NotFound', `Workspace '${workspace}' does not exist.`, 'workspace');
    checkAssetName('environment', name);
    if (version !== undefined) checkAssetVersion('environment', version);
    const p = body.properties;
    if (p.build) await this.refuseBuild(workspace, p.build.contextUri);
    const specHash = environmentSpecHash(p);
    const all = await this.all(workspace, name);
    const now = this.ctx.clock.now().toISOString();
    const existing =
      version === undefined
        ? all.find((r) => this.hashOf(r) === specHash)
        : all.find((r) => r.version === version);
    if (existing) {
      if (this.hashOf(existing) !== specHash)
        throw new HangarError(
          'AssetVersionExists',
          `Environment ${name}:${existing.version} already exists with another spec; versions are immutable: give a new version, or omit it to take the next (${nextVersion(all.map((r) => r.version))}).`,
          'version',
        );
      const updated: EnvironmentRecord = {
        ...existing,
        tags: version === undefined ? existing.tags : p.tags,
        archived: p.isArchived ?? existing.archived ?? false,
        modifiedAt: now,
      };
      if (version !== undefined && p.description !== undefined) updated.description = p.description;
      await this.ctx.store.environments.update(updated);
      return { record: updated, created: false };
    }
    const record: EnvironmentRecord = {
      workspace,
      name,
      version: version ?? nextVersion(all.map((r) => r.version)),
      tags: p.tags,
      definition: definitionOf(p.image, p.condaFile),
      createdAt: now,
      modifiedAt: now,
      specHash,
      archived: p.isArchived ?? false,
    };
    if (p.description !== undefined) record.description = p.description;
    if (p.image !== undefined) record.image = p.image;
    if (p.condaFile !== undefined) record.condaFile = p.condaFile;
    if (p.inferenceConfig !== undefined) record.inferenceConfig = p.inferenceConfig;
    await this.ctx.store.transaction(async () => {
      await this.ctx.store.environments.insert(record);
      await this.ctx.store.events.append({
        at: now,
        workspace,
        resource: `environment/${name}`,
        reason: 'Created',
        message: `Environment ${name}:${record.version} created${caller ? ` by ${caller.name}` : ''}.`,
        level: 'Info',
      });
    });
    return { record, created: true };
  }

  private hashOf(r: EnvironmentRecord): string {
    return (
      r.specHash ??
      environmentSpecHash({
        tags: {},
        ...(r.image ? { image: r.image } : {}),
        ...(r.condaFile ? { condaFile: r.condaFile } : {}),
      })
    );
  }

  /**
   * Docker build contexts: nodes build nothing yet, so a build is refused, naming what is missing:
   * a container runtime on some node of the workspace, or (when one exists) the build step itself.
   */
  private async refuseBuild(workspace: string, context: string): Promise<never> {
    const nodes = await this.ctx.store.nodes.all({ workspace });
    const withRuntime = nodes.filter((n) => n.capacity?.containerRuntime);
    if (withRuntime.length === 0)
      throw new HangarError(
        'ValidationFailed',
        `properties.build: building the Docker context '${context}' needs a container runtime (podman or docker), and no node of workspace '${workspace}' has one${nodes.length ? ` (nodes: ${nodes.map((n) => n.id).join(', ')})` : ''}; build the image elsewhere and give image:, or give conda_file.`,
        'properties.build',
      );
    throw new HangarError(
      'NotImplemented',
      `properties.build: node ${withRuntime[0]?.id ?? ''} has ${withRuntime[0]?.capacity?.containerRuntime ?? 'a container runtime'}, but Hangar does not build Docker contexts yet; build the image (podman build ${context}) and give image:.`,
      'properties.build',
    );
  }

  private async all(workspace: string, name: string): Promise<EnvironmentRecord[]> {
    const out: EnvironmentRecord[] = [];
    let page: Page<EnvironmentRecord> | undefined;
    do {
      page = await this.ctx.store.environments.list(
        workspace,
        { name, view: 'All' },
        { top: 500, ...(page?.skipToken ? { skipToken: page.skipToken } : {}) },
      );
      out.push(...page.items);
    } while (page.skipToken);
    return out;
  }

  /** A version, or `latest` (newest non-archived); NotFound lists the versions that exist. */
  async get(workspace: string, name: string, version: string): Promise<EnvironmentRecord> {
    const r =
      version === 'latest'
        ? await this.ctx.store.environments.latest(workspace, name)
        : await this.ctx.store.environments.get(workspace, name, version);
    if (r) return r;
    const versions = (await this.all(workspace, name))
      .map((e) => `${e.version}${e.archived ? ' (archived)' : ''}`)
      .reverse();
    throw new HangarError(
      'NotFound',
      versions.length
        ? `Environment '${name}' ${version === 'latest' ? 'has no non-archived version for latest' : `has no version '${version}'`} in workspace '${workspace}'; versions: ${versions.join(', ')}.`
        : `Environment '${name}' does not exist in workspace '${workspace}'.`,
      'name',
    );
  }

  list(
    workspace: string,
    name: string | undefined,
    page: PageRequest,
    view: ListView = 'ActiveOnly',
  ): Promise<Page<EnvironmentRecord>> {
    return this.ctx.store.environments.list(
      workspace,
      { ...(name === undefined ? {} : { name }), view },
      page,
    );
  }

  /** The container (all versions of a name): latestVersion, nextVersion. */
  async container(workspace: string, name: string): Promise<ContainerResource> {
    const versions = await this.all(workspace, name);
    if (versions.length === 0)
      throw new HangarError(
        'NotFound',
        `Environment '${name}' does not exist in workspace '${workspace}'.`,
        'name',
      );
    return toContainerResource('environment', workspace, name, versions.map(asVersion));
  }

  /** Containers of the workspace, by name. */
  async containers(workspace: string, view: ListView): Promise<ContainerResource[]> {
    const byName = new Map<string, EnvironmentRecord[]>();
    let page: Page<EnvironmentRecord> | undefined;
    do {
      page = await this.ctx.store.environments.list(
        workspace,
        { view: 'All' },
        { top: 500, ...(page?.skipToken ? { skipToken: page.skipToken } : {}) },
      );
      for (const r of page.items) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
    } while (page.skipToken);
    return [...byName.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, versions]) => toContainerResource('environment', workspace, name, versions.map(asVersion)))
      .filter((c) =>
        view === 'All' ? true : view === 'ArchivedOnly' ? c.properties.isArchived : !c.properties.isArchived,
      );
  }

  /** Archives or restores one version, or every version of the name. */
  async setArchived(
    workspace: string,
    name: string,
    version: string | undefined,
    archived: boolean,
  ): Promise<EnvironmentRecord[]> {
    const targets =
      version === undefined ? await this.all(workspace, name) : [await this.get(workspace, name, version)];
    if (targets.length === 0) await this.get(workspace, name, 'latest');
    const now = this.ctx.clock.now().toISOString();
    const changed = targets.map((r) => ({ ...r, archived, modifiedAt: now }));
    await this.ctx.store.transaction(async () => {
      for (const r of changed) await this.ctx.store.environments.update(r);
    });
    return changed;
  }
}

function asVersion(r: EnvironmentRecord): Parameters<typeof toContainerResource>[3][number] {
  return {
    version: r.version,
    archived: r.archived ?? false,
    createdAt: r.createdAt,
    modifiedAt: r.modifiedAt ?? r.createdAt,
    doc: { tags: r.tags, ...(r.description !== undefined ? { description: r.description } : {}) },
  };
}

export type { VersionResource };
