import type { AssetKind, AssetRecord } from './asset-record.js';
import { nextVersion } from './asset-names.js';

/** The ARM collection segment of each kind (…/workspaces/{ws}/<segment>/{name}). */
export const armSegment: Record<AssetKind | 'environment', string> = {
  data: 'data',
  model: 'models',
  component: 'components',
  datastore: 'datastores',
  environment: 'environments',
};

const armType = (kind: AssetKind | 'environment'): string =>
  `Microsoft.MachineLearningServices/workspaces/${armSegment[kind]}`;

/** Azure's systemData. */
export interface SystemData {
  createdAt: string;
  createdBy?: string;
  createdByType?: string;
  lastModifiedAt: string;
}

/** An asset version in Azure's ARM envelope: the version resource's `name` is the version. */
export interface VersionResource {
  id: string;
  name: string;
  type: string;
  properties: Record<string, unknown>;
  systemData: SystemData;
}

/** An asset container (all versions of a name). */
export interface ContainerResource {
  id: string;
  name: string;
  type: string;
  properties: {
    latestVersion?: string;
    nextVersion: string;
    isArchived: boolean;
    description?: string;
    tags: Record<string, string>;
  };
  systemData: SystemData;
}

export function assetId(
  kind: AssetKind | 'environment',
  workspace: string,
  name: string,
  version?: string,
): string {
  const base = `/workspaces/${workspace}/${armSegment[kind]}/${name}`;
  return version === undefined ? base : `${base}/versions/${version}`;
}

function systemData(r: Pick<AssetRecord, 'createdAt' | 'modifiedAt' | 'createdBy'>): SystemData {
  return {
    createdAt: r.createdAt,
    ...(r.createdBy !== undefined ? { createdBy: r.createdBy, createdByType: 'User' } : {}),
    lastModifiedAt: r.modifiedAt,
  };
}

/** A stored version as Azure's version resource: its doc as properties, plus isArchived and isAnonymous. */
export function toVersionResource(r: AssetRecord): VersionResource {
  return {
    id: assetId(r.kind, r.workspace, r.name, r.version),
    name: r.version,
    type: `${armType(r.kind)}/versions`,
    properties: { ...r.doc, isArchived: r.archived, isAnonymous: false },
    systemData: systemData(r),
  };
}

/**
 * A container from its versions (every version, archived included, newest first): latest is the
 * newest non-archived; the container is archived when every version is.
 */
export function toContainerResource(
  kind: AssetKind | 'environment',
  workspace: string,
  name: string,
  versions: readonly Pick<
    AssetRecord,
    'version' | 'archived' | 'createdAt' | 'modifiedAt' | 'createdBy' | 'doc'
  >[],
): ContainerResource {
  const latest = versions.find((v) => !v.archived);
  const oldest = versions[versions.length - 1];
  const newest = versions[0];
  const description = (latest ?? newest)?.doc.description;
  return {
    id: assetId(kind, workspace, name),
    name,
    type: armType(kind),
    properties: {
      ...(latest ? { latestVersion: latest.version } : {}),
      nextVersion: nextVersion(versions.map((v) => v.version)),
      isArchived: latest === undefined,
      ...(typeof description === 'string' ? { description } : {}),
      tags: ((latest ?? newest)?.doc.tags as Record<string, string> | undefined) ?? {},
    },
    systemData: {
      createdAt: oldest?.createdAt ?? '',
      lastModifiedAt: newest?.modifiedAt ?? '',
    },
  };
}

/** A datastore (one record, version '1') in Azure's envelope; `isDefault` for workspaceblobstore. */
export function toDatastoreResource(r: AssetRecord, extra: Record<string, unknown> = {}): VersionResource {
  return {
    id: assetId('datastore', r.workspace, r.name),
    name: r.name,
    type: armType('datastore'),
    properties: { ...r.doc, ...extra },
    systemData: systemData(r),
  };
}
