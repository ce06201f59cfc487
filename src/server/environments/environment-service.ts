import { z } from 'zod';
import type { EnvironmentRecord } from '../../domain/environments/environment-record.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { EnvironmentDefinition } from '../../domain/nodes/agent-protocol.js';
import type { Page, PageRequest } from '../../store/store.js';
import type { ServiceContext } from '../services/service-context.js';

const versionPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;

/** PUT body of an environment version (Azure's EnvironmentVersion properties). */
export const environmentVersionRequestSchema = z.strictObject({
  properties: z.strictObject({
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).default({}),
    image: z.string().min(1).optional(),
    /** The conda file's YAML text. */
    condaFile: z.string().min(1).optional(),
    osType: z.enum(['Linux', 'Windows']).optional(),
  }),
});

/** An environment version as the API returns it. */
export const environmentVersionResourceSchema = z.object({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  properties: z.object({
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()),
    image: z.string().optional(),
    condaFile: z.string().optional(),
    definitionKind: z.string(),
    createdAt: z.string(),
  }),
});

/** Renders a stored environment version. */
export function toEnvironmentResource(
  r: EnvironmentRecord,
): z.infer<typeof environmentVersionResourceSchema> {
  const properties: z.infer<typeof environmentVersionResourceSchema>['properties'] = {
    tags: r.tags,
    definitionKind: r.definition.kind,
    createdAt: r.createdAt,
  };
  if (r.description !== undefined) properties.description = r.description;
  if (r.image !== undefined) properties.image = r.image;
  if (r.condaFile !== undefined) properties.condaFile = r.condaFile;
  return {
    id: `/workspaces/${r.workspace}/environments/${r.name}/versions/${r.version}`,
    name: r.name,
    version: r.version,
    properties,
  };
}

function definitionOf(image: string | undefined, condaFile: string | undefined): EnvironmentDefinition {
  if (image) return condaFile ? { kind: 'image', image, condaFile } : { kind: 'image', image };
  if (condaFile) return { kind: 'conda', condaFile };
  throw new HangarError(
    'ValidationFailed',
    'properties: an environment needs image or condaFile (build contexts are not supported here).',
    'properties.image',
  );
}

/** Registered environments: immutable versions, latest by creation order. */
export class EnvironmentService {
  constructor(private readonly ctx: ServiceContext) {}

  /** Creates a version; an existing version is refused (versions are immutable, as in Azure ML). */
  async create(
    workspace: string,
    name: string,
    version: string,
    body: z.infer<typeof environmentVersionRequestSchema>,
  ): Promise<EnvironmentRecord> {
    if (!(await this.ctx.store.workspaces.get(workspace)))
      throw new HangarError('NotFound', `Workspace '${workspace}' does not exist.`, 'workspace');
    if (!namePattern.test(name))
      throw new HangarError(
        'InvalidName',
        `Environment name '${name}' must start with a letter or digit and use letters, digits, '.', '_' or '-' (at most 255).`,
        'name',
      );
    if (!versionPattern.test(version))
      throw new HangarError(
        'ValidationFailed',
        `Environment version '${version}' must start with a letter or digit and use letters, digits, '.', '_' or '-' (at most 64).`,
        'version',
      );
    const p = body.properties;
    const record: EnvironmentRecord = {
      workspace,
      name,
      version,
      tags: p.tags,
      definition: definitionOf(p.image, p.condaFile),
      createdAt: this.ctx.clock.now().toISOString(),
    };
    if (p.description !== undefined) record.description = p.description;
    if (p.image !== undefined) record.image = p.image;
    if (p.condaFile !== undefined) record.condaFile = p.condaFile;
    await this.ctx.store.environments.insert(record);
    return record;
  }

  async get(workspace: string, name: string, version: string): Promise<EnvironmentRecord> {
    const r =
      version === 'latest'
        ? await this.ctx.store.environments.latest(workspace, name)
        : await this.ctx.store.environments.get(workspace, name, version);
    if (!r)
      throw new HangarError(
        'NotFound',
        `Environment '${name}' version '${version}' does not exist in workspace '${workspace}'.`,
        'name',
      );
    return r;
  }

  list(workspace: string, name: string | undefined, page: PageRequest): Promise<Page<EnvironmentRecord>> {
    return this.ctx.store.environments.list(workspace, name === undefined ? {} : { name }, page);
  }
}
