import { z } from 'zod';
import { HangarError } from '../errors/hangar-error.js';

export const dataTypes = ['uri_file', 'uri_folder', 'mltable'] as const;
export const modelTypes = ['custom_model', 'mlflow_model', 'triton_model'] as const;

const common = {
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).default({}),
  properties: z.record(z.string(), z.string()).default({}),
  isAnonymous: z.boolean().optional(),
  isArchived: z.boolean().optional(),
  stage: z.string().optional(),
};

/**
 * PUT body of a data version (Azure's DataVersionBase properties). `dataUri`: an https:// URL, an
 * `azureml://datastores/<ds>/paths/<p>` path (local uploads: workspaceblobstore `snapshots/<id>/…`,
 * see snapshot-uri.ts) or a job output `azureml://jobs/<job>/outputs/<out>/paths/<p>`.
 */
export const dataVersionRequestSchema = z.object({
  properties: z.object({
    dataType: z.enum(dataTypes),
    dataUri: z.string().min(1),
    ...common,
  }),
});
export type DataVersionRequest = z.infer<typeof dataVersionRequestSchema>;

/** PUT body of a model version (Azure's ModelVersion properties). */
export const modelVersionRequestSchema = z.object({
  properties: z.object({
    modelType: z.enum(modelTypes).default('custom_model'),
    modelUri: z.string().min(1),
    jobName: z.string().optional(),
    flavors: z.record(z.string(), z.unknown()).optional(),
    ...common,
  }),
});
export type ModelVersionRequest = z.infer<typeof modelVersionRequestSchema>;

/** The stored document of a data version: the request's properties, the uri resolved and checked. */
export type DataDoc = Omit<DataVersionRequest['properties'], 'isArchived' | 'isAnonymous'>;
export type ModelDoc = Omit<ModelVersionRequest['properties'], 'isArchived' | 'isAnonymous'>;

const dataYamlKeys = new Set([
  '$schema',
  'name',
  'version',
  'description',
  'tags',
  'type',
  'path',
  'properties',
]);
const modelYamlKeys = new Set([
  '$schema',
  'name',
  'version',
  'description',
  'tags',
  'type',
  'path',
  'properties',
  'flavors',
  'stage',
  'job_name',
]);

function stringMap(raw: unknown, field: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new HangarError('ValidationFailed', `${field}: must be a mapping of names to values.`, field);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
}

/** What an az ml data or model YAML (after flags) says, before its local path is uploaded. */
export interface AssetYaml {
  name: string;
  version?: string;
  type: string;
  path: string;
  description?: string;
  tags: Record<string, string>;
  properties: Record<string, string>;
  flavors?: Record<string, unknown>;
  stage?: string;
}

/** Reads an az ml data (`kind` 'data') or model YAML; every problem names its field. */
export function readAssetYaml(kind: 'data' | 'model', doc: Record<string, unknown>): AssetYaml {
  const keys = kind === 'data' ? dataYamlKeys : modelYamlKeys;
  const unknown = Object.keys(doc).filter((k) => !keys.has(k));
  if (unknown.length > 0)
    throw new HangarError('ValidationFailed', `unknown ${kind} field(s): ${unknown.join(', ')}.`, unknown[0]);
  if (typeof doc.name !== 'string' || doc.name === '')
    throw new HangarError('ValidationFailed', 'name: required (in the YAML or with --name).', 'name');
  const types: readonly string[] = kind === 'data' ? dataTypes : modelTypes;
  const type = doc.type ?? (kind === 'data' ? 'uri_folder' : 'custom_model');
  if (typeof type !== 'string' || !types.includes(type))
    throw new HangarError(
      'ValidationFailed',
      `type: a ${kind} asset's type is one of ${types.join(', ')}; got '${String(type)}'.`,
      'type',
    );
  if (typeof doc.path !== 'string' || doc.path === '')
    throw new HangarError('ValidationFailed', 'path: required (in the YAML or with --path).', 'path');
  const out: AssetYaml = {
    name: doc.name,
    type,
    path: doc.path,
    tags: stringMap(doc.tags, 'tags'),
    properties: stringMap(doc.properties, 'properties'),
  };
  if (doc.version !== undefined && doc.version !== null) out.version = String(doc.version);
  if (doc.description !== undefined && doc.description !== null) out.description = String(doc.description);
  if (doc.flavors !== undefined && doc.flavors !== null) out.flavors = doc.flavors as Record<string, unknown>;
  if (doc.stage !== undefined && doc.stage !== null) out.stage = String(doc.stage);
  return out;
}
