import { z } from 'zod';
import { HangarError } from '../errors/hangar-error.js';

/** Hangar's own datastore types and Azure's, as az ml's YAML `type` names them. */
export const datastoreYamlTypes = [
  'hangar_path',
  'azure_blob',
  'azure_file',
  'azure_data_lake_gen1',
  'azure_data_lake_gen2',
] as const;

/** REST `datastoreType` per YAML type; `HangarBlob` is workspaceblobstore (Hangar's content-addressed store). */
export const restDatastoreTypes = {
  hangar_path: 'HangarPath',
  azure_blob: 'AzureBlob',
  azure_file: 'AzureFile',
  azure_data_lake_gen1: 'AzureDataLakeGen1',
  azure_data_lake_gen2: 'AzureDataLakeGen2',
  hangar_blob: 'HangarBlob',
} as const;
export type RestDatastoreType = (typeof restDatastoreTypes)[keyof typeof restDatastoreTypes];

/** The default datastore, present in every workspace: Hangar's content-addressed blob store. */
export const defaultDatastoreName = 'workspaceblobstore';

const secretsSchema = z.discriminatedUnion('secretsType', [
  z.strictObject({ secretsType: z.literal('AccountKey'), key: z.string().min(1) }),
  z.strictObject({ secretsType: z.literal('Sas'), sasToken: z.string().min(1) }),
  z.strictObject({ secretsType: z.literal('ServicePrincipal'), clientSecret: z.string().min(1) }),
]);
export type DatastoreSecrets = z.infer<typeof secretsSchema>;

/** Datastore credentials in Azure's REST shape; `secrets` only ever travels in a request. */
export const datastoreCredentialsSchema = z.strictObject({
  credentialsType: z.enum(['None', 'AccountKey', 'Sas', 'ServicePrincipal']),
  tenantId: z.string().optional(),
  clientId: z.string().optional(),
  authorityUrl: z.string().optional(),
  resourceUrl: z.string().optional(),
  secrets: secretsSchema.optional(),
});

/** PUT body of a datastore (Azure's DatastoreProperties, plus `path` for Hangar's HangarPath type). */
export const datastoreRequestSchema = z.strictObject({
  properties: z.strictObject({
    datastoreType: z.enum(['HangarPath', 'AzureBlob', 'AzureFile', 'AzureDataLakeGen1', 'AzureDataLakeGen2']),
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).default({}),
    properties: z.record(z.string(), z.string()).optional(),
    /** HangarPath: an absolute folder every node reaches (local disk or an NFS mount). */
    path: z.string().optional(),
    accountName: z.string().optional(),
    containerName: z.string().optional(),
    fileShareName: z.string().optional(),
    filesystem: z.string().optional(),
    storeName: z.string().optional(),
    endpoint: z.string().optional(),
    protocol: z.string().optional(),
    credentials: datastoreCredentialsSchema.default({ credentialsType: 'None' }),
    isDefault: z.boolean().optional(),
  }),
});
export type DatastoreRequest = z.infer<typeof datastoreRequestSchema>;

/** What is stored for a datastore: the properties without secrets. */
export type DatastoreDoc = Omit<DatastoreRequest['properties'], 'credentials' | 'datastoreType'> & {
  datastoreType: RestDatastoreType;
  credentials: Omit<z.infer<typeof datastoreCredentialsSchema>, 'secrets'>;
};

const required: Record<string, string[]> = {
  HangarPath: ['path'],
  AzureBlob: ['accountName', 'containerName'],
  AzureFile: ['accountName', 'fileShareName'],
  AzureDataLakeGen2: ['accountName', 'filesystem'],
  AzureDataLakeGen1: ['storeName'],
};

const secretFor: Record<string, DatastoreSecrets['secretsType']> = {
  AccountKey: 'AccountKey',
  Sas: 'Sas',
  ServicePrincipal: 'ServicePrincipal',
};

/**
 * Checks a datastore body beyond its schema (fields each type needs, credentials that match their
 * type) and splits it into the stored document and the secrets (kept apart, encrypted).
 */
export function datastoreDocOf(body: DatastoreRequest): { doc: DatastoreDoc; secrets?: DatastoreSecrets } {
  const p = body.properties;
  for (const field of required[p.datastoreType] ?? [])
    if (!(p as Record<string, unknown>)[field])
      throw new HangarError(
        'ValidationFailed',
        `properties.${field}: required for a ${p.datastoreType} datastore.`,
        `properties.${field}`,
      );
  if (p.datastoreType === 'HangarPath') {
    if (!p.path?.startsWith('/'))
      throw new HangarError(
        'ValidationFailed',
        `properties.path: a HangarPath datastore names an absolute folder; got '${p.path ?? ''}'.`,
        'properties.path',
      );
    if (p.credentials.credentialsType !== 'None')
      throw new HangarError(
        'ValidationFailed',
        'properties.credentials: a HangarPath datastore takes no credentials (the folder is reached through the file system).',
        'properties.credentials',
      );
  }
  const { credentials, ...rest } = p;
  const { secrets, ...publicCredentials } = credentials;
  const wanted = secretFor[credentials.credentialsType];
  if (wanted && secrets?.secretsType !== wanted)
    throw new HangarError(
      'ValidationFailed',
      `properties.credentials.secrets: ${credentials.credentialsType} credentials need secrets of secretsType ${wanted}${secrets ? `; got ${secrets.secretsType}` : ''}.`,
      'properties.credentials.secrets',
    );
  if (!wanted && secrets)
    throw new HangarError(
      'ValidationFailed',
      'properties.credentials.secrets: credentialsType None takes no secrets.',
      'properties.credentials.secrets',
    );
  const doc: DatastoreDoc = { ...rest, credentials: publicCredentials };
  return secrets ? { doc, secrets } : { doc };
}

/** Why Hangar cannot read a datastore's files, or undefined when it can (HangarPath, HangarBlob). */
export function unreachableReason(type: RestDatastoreType): string | undefined {
  if (type === 'HangarPath' || type === 'HangarBlob') return undefined;
  return `a ${type} datastore is kept as a record: it is not reachable from here (Hangar reads workspaceblobstore and hangar_path datastores)`;
}

/** The az ml YAML of a datastore → the REST body (field names as the YAML has them, for errors). */
export function datastoreYamlToRequest(doc: Record<string, unknown>): { name: string; body: unknown } {
  const known = new Set([
    '$schema',
    'name',
    'type',
    'description',
    'tags',
    'properties',
    'path',
    'account_name',
    'container_name',
    'file_share_name',
    'filesystem',
    'store_name',
    'endpoint',
    'protocol',
    'credentials',
  ]);
  const unknown = Object.keys(doc).filter((k) => !known.has(k));
  if (unknown.length > 0)
    throw new HangarError(
      'ValidationFailed',
      `unknown datastore field(s): ${unknown.join(', ')}.`,
      unknown[0],
    );
  if (typeof doc.name !== 'string')
    throw new HangarError('ValidationFailed', 'name: required (in the YAML or with --name).', 'name');
  const type = doc.type;
  if (typeof type !== 'string' || !(datastoreYamlTypes as readonly string[]).includes(type))
    throw new HangarError(
      'ValidationFailed',
      `type: must be one of ${datastoreYamlTypes.join(', ')}; got '${String(type)}'.`,
      'type',
    );
  const str = (k: string): string | undefined =>
    doc[k] === undefined || doc[k] === null ? undefined : String(doc[k]);
  const properties: Record<string, unknown> = {
    datastoreType: restDatastoreTypes[type as keyof typeof restDatastoreTypes],
    tags: Object.fromEntries(
      Object.entries((doc.tags ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
    ),
    credentials: credentialsOf(doc.credentials),
  };
  const map: [string, string][] = [
    ['description', 'description'],
    ['path', 'path'],
    ['account_name', 'accountName'],
    ['container_name', 'containerName'],
    ['file_share_name', 'fileShareName'],
    ['filesystem', 'filesystem'],
    ['store_name', 'storeName'],
    ['endpoint', 'endpoint'],
    ['protocol', 'protocol'],
  ];
  for (const [yaml, rest] of map) if (str(yaml) !== undefined) properties[rest] = str(yaml);
  return { name: doc.name, body: { properties } };
}

function credentialsOf(raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null) return { credentialsType: 'None' };
  if (typeof raw !== 'object')
    throw new HangarError('ValidationFailed', 'credentials: must be a mapping.', 'credentials');
  const c = raw as Record<string, unknown>;
  if (typeof c.account_key === 'string')
    return { credentialsType: 'AccountKey', secrets: { secretsType: 'AccountKey', key: c.account_key } };
  if (typeof c.sas_token === 'string')
    return { credentialsType: 'Sas', secrets: { secretsType: 'Sas', sasToken: c.sas_token } };
  if (typeof c.client_secret === 'string')
    return {
      credentialsType: 'ServicePrincipal',
      ...(typeof c.tenant_id === 'string' ? { tenantId: c.tenant_id } : {}),
      ...(typeof c.client_id === 'string' ? { clientId: c.client_id } : {}),
      ...(typeof c.authority_url === 'string' ? { authorityUrl: c.authority_url } : {}),
      ...(typeof c.resource_url === 'string' ? { resourceUrl: c.resource_url } : {}),
      secrets: { secretsType: 'ServicePrincipal', clientSecret: c.client_secret },
    };
  if (Object.keys(c).length === 0) return { credentialsType: 'None' };
  throw new HangarError(
    'ValidationFailed',
    `credentials: give account_key, sas_token, or tenant_id/client_id/client_secret; got ${Object.keys(c).join(', ')}.`,
    'credentials',
  );
}
