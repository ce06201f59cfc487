import type { Principal } from '../../domain/access/authorize.js';
import type { AssetRecord, LineageEntry, ListView } from '../../domain/assets/asset-record.js';
import {
  checkAssetName,
  checkAssetVersion,
  checkLabel,
  nextVersion,
} from '../../domain/assets/asset-names.js';
import { parseAssetRef } from '../../domain/assets/asset-refs.js';
import { assetId, toContainerResource, type ContainerResource } from '../../domain/assets/asset-view.js';
import { checkCommandComponent, checkPipelineComponent } from '../../domain/assets/component-spec.js';
import type { DataDoc, ModelDoc } from '../../domain/assets/data-spec.js';
import { snapshotUri } from '../../domain/assets/snapshot-uri.js';
import { checkPipelineComponentGraph } from '../../domain/pipelines/pipeline-components.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { SnapshotManifest } from '../../domain/snapshots/manifest-types.js';
import type { AccessService } from '../access/access-service.js';
import { actionPrefix } from '../http/route-def.js';
import type { Page, PageRequest } from '../../store/store.js';
import type { ServiceContext } from '../services/service-context.js';
import type { SnapshotService } from '../snapshots/snapshot-service.js';
import type {
  AssetResolution,
  OutputRegistration,
  ResolvedAssetVersion,
  ResolvedData,
} from './asset-resolution.js';
import { AssetUris, subManifest } from './asset-uris.js';
import type { DatastoreService } from './datastore-service.js';

/** The versioned kinds this service keeps (environments have their own service). */
export type VersionedKind = 'data' | 'model' | 'component';

/** A version PUT body's properties, parsed by the route's schema for its kind. */
export type VersionProperties = Record<string, unknown> & {
  description?: string;
  tags?: Record<string, string>;
  properties?: Record<string, string>;
  stage?: string;
  isArchived?: boolean;
};

const label: Record<VersionedKind, string> = { data: 'Data asset', model: 'Model', component: 'Component' };
const uriField: Record<VersionedKind, string | undefined> = {
  data: 'dataUri',
  model: 'modelUri',
  component: undefined,
};
/** Fields a PUT on an existing version may change; the rest are the version's content, fixed. */
const mutable = new Set(['description', 'tags', 'properties', 'stage', 'isArchived', 'isAnonymous']);

function sameContent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const fixed = (d: Record<string, unknown>): string =>
    JSON.stringify(
      Object.keys(d)
        .filter((k) => !mutable.has(k))
        .sort()
        .map((k) => [k, d[k]]),
    );
  return fixed(a) === fixed(b);
}

/**
 * Data, model and component versions: immutable content, `latest` (newest non-archived),
 * archive/restore, content checked at creation; plus the hooks jobs use (AssetResolution).
 */
export class AssetService implements AssetResolution {
  readonly uris: AssetUris;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly snapshots: SnapshotService,
    datastores: DatastoreService,
    private readonly access: AccessService,
  ) {
    this.uris = new AssetUris(ctx, snapshots, datastores);
  }

  private async workspace(ws: string): Promise<void> {
    if (!(await this.ctx.store.workspaces.get(ws)))
      throw new HangarError('NotFound', `Workspace '${ws}' does not exist.`, 'workspace');
  }

  /**
   * Creates a version (`version` undefined: the next integer). The same content PUT again under an
   * existing version updates only description, tags, properties, stage and isArchived (Azure's
   * idempotent PUT); other content is refused with AssetVersionExists naming name:version.
   */
  async createVersion(
    ws: string,
    kind: VersionedKind,
    name: string,
    version: string | undefined,
    props: VersionProperties,
    caller?: Principal,
  ): Promise<{ record: AssetRecord; created: boolean }> {
    await this.workspace(ws);
    checkAssetName(kind, name);
    const all = await this.ctx.store.assets.all(kind, ws, { name, view: 'All' });
    const v = version ?? nextVersion(all.map((r) => r.version));
    checkAssetVersion(kind, v);
    const { doc, snapshotId, jobName } = await this.contentOf(ws, kind, props);
    const existing = all.find((r) => r.version === v);
    const now = this.ctx.clock.now().toISOString();
    if (existing) {
      if (!sameContent(existing.doc, doc))
        throw new HangarError(
          'AssetVersionExists',
          `${label[kind]} ${name}:${v} already exists with other content; versions are immutable: give a new version, or omit it to take the next (${nextVersion(all.map((r) => r.version))}).`,
          'version',
        );
      const updated: AssetRecord = {
        ...existing,
        archived: props.isArchived ?? existing.archived,
        modifiedAt: now,
        doc,
      };
      await this.ctx.store.assets.update(updated);
      return { record: updated, created: false };
    }
    const record: AssetRecord = {
      kind,
      workspace: ws,
      name,
      version: v,
      archived: props.isArchived ?? false,
      createdAt: now,
      modifiedAt: now,
      doc,
    };
    if (snapshotId) record.snapshotId = snapshotId;
    if (caller) record.createdBy = caller.name;
    await this.ctx.store.transaction(async () => {
      await this.ctx.store.assets.insert(record);
      if (jobName && kind !== 'component')
        await this.ctx.store.assets.addLineage([
          {
            workspace: ws,
            job: jobName,
            direction: 'output',
            port:
              String(props[uriField[kind] ?? ''] ?? '')
                .split('/outputs/')[1]
                ?.split('/')[0] ?? '',
            kind,
            name,
            version: v,
            at: now,
          },
        ]);
      await this.event(ws, kind, name, 'Created', `${label[kind]} ${name}:${v} created.`);
    });
    return { record, created: true };
  }

  /** The stored document of a version's content, its URI checked and made canonical. */
  private async contentOf(
    ws: string,
    kind: VersionedKind,
    props: VersionProperties,
  ): Promise<{ doc: Record<string, unknown>; snapshotId?: string; jobName?: string }> {
    const { isArchived: _a, isAnonymous: _b, ...doc } = props;
    if (kind === 'component') {
      const raw = (props.componentSpec ?? {}) as Record<string, unknown>;
      // A pipeline component is its graph: no code or environment of its own (its steps have theirs).
      if (raw.type === 'pipeline') {
        const spec = checkPipelineComponent(raw);
        checkPipelineComponentGraph(spec);
        return { doc: { ...doc, componentSpec: spec } };
      }
      const spec = checkCommandComponent(raw);
      const out: { doc: Record<string, unknown>; snapshotId?: string } = { doc };
      if (spec.code !== undefined) {
        const c = await this.uris.canonical(ws, spec.code, 'uri_folder', 'componentSpec.code');
        if (c.snapshotId === undefined)
          throw new HangarError(
            'ValidationFailed',
            `componentSpec.code: '${spec.code}' is not uploaded code; the client uploads a local folder and names its snapshot.`,
            'componentSpec.code',
          );
        out.doc = { ...doc, componentSpec: { ...(props.componentSpec as object), code: c.uri } };
        out.snapshotId = c.snapshotId;
      }
      return out;
    }
    const field = uriField[kind] as string;
    const type = String(kind === 'data' ? props.dataType : props.modelType);
    const c = await this.uris.canonical(ws, String(props[field]), type, `properties.${field}`);
    const result: { doc: Record<string, unknown>; snapshotId?: string; jobName?: string } = {
      doc: { ...doc, [field]: c.uri },
    };
    if (c.snapshotId) result.snapshotId = c.snapshotId;
    if (c.jobName) {
      result.jobName = c.jobName;
      if (kind === 'model' && props.jobName === undefined) result.doc.jobName = c.jobName;
    }
    return result;
  }

  private async event(
    ws: string,
    kind: string,
    name: string,
    reason: string,
    message: string,
  ): Promise<void> {
    await this.ctx.store.events.append({
      at: this.ctx.clock.now().toISOString(),
      workspace: ws,
      resource: `${kind}/${name}`,
      reason,
      message,
      level: 'Info',
    });
  }

  /** A version, or the `latest` label's (newest non-archived); NotFound lists the versions that exist. */
  async getVersion(
    ws: string,
    kind: VersionedKind,
    name: string,
    versionOrLabel: string,
  ): Promise<AssetRecord> {
    await this.workspace(ws);
    if (versionOrLabel === 'latest') {
      const [latest] = await this.ctx.store.assets.all(kind, ws, { name });
      if (latest) return latest;
    } else {
      const r = await this.ctx.store.assets.get(kind, ws, name, versionOrLabel);
      if (r) return r;
    }
    throw await this.notFound(ws, kind, name, versionOrLabel, 'version');
  }

  private async notFound(
    ws: string,
    kind: VersionedKind,
    name: string,
    version: string,
    field: string,
    ref?: string,
  ): Promise<HangarError> {
    const all = await this.ctx.store.assets.all(kind, ws, { name, view: 'All' });
    const what = ref ? `${field}: '${ref}': ` : '';
    if (all.length === 0)
      return new HangarError(
        'NotFound',
        `${what}${label[kind]} '${name}' does not exist in workspace '${ws}'.`,
        field,
      );
    const listed = all
      .map((r) => `${r.version}${r.archived ? ' (archived)' : ''}`)
      .reverse()
      .join(', ');
    const asked =
      version === 'latest' ? 'has no non-archived version for @latest' : `has no version '${version}'`;
    return new HangarError(
      'NotFound',
      `${what}${label[kind]} '${name}' ${asked}; versions: ${listed}.`,
      field,
    );
  }

  async listVersions(
    ws: string,
    kind: VersionedKind,
    name: string,
    view: ListView,
    page: PageRequest,
  ): Promise<Page<AssetRecord>> {
    await this.workspace(ws);
    return this.ctx.store.assets.list(kind, ws, { name, view }, page);
  }

  /** Containers (one per name) with their latest and next versions; `view` as Azure's listViewType. */
  async listContainers(ws: string, kind: VersionedKind, view: ListView): Promise<ContainerResource[]> {
    await this.workspace(ws);
    const byName = new Map<string, AssetRecord[]>();
    for (const r of await this.ctx.store.assets.all(kind, ws, { view: 'All' })) {
      const list = byName.get(r.name) ?? [];
      list.push(r);
      byName.set(r.name, list);
    }
    return [...byName.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, versions]) => toContainerResource(kind, ws, name, versions))
      .filter((c) =>
        view === 'All' ? true : view === 'ArchivedOnly' ? c.properties.isArchived : !c.properties.isArchived,
      );
  }

  /** A container; NotFound when no version of the name exists (how Azure's SDK learns to start at 1). */
  async getContainer(ws: string, kind: VersionedKind, name: string): Promise<ContainerResource> {
    await this.workspace(ws);
    const versions = await this.ctx.store.assets.all(kind, ws, { name, view: 'All' });
    if (versions.length === 0)
      throw new HangarError(
        'NotFound',
        `${label[kind]} '${name}' does not exist in workspace '${ws}'.`,
        'name',
      );
    return toContainerResource(kind, ws, name, versions);
  }

  /** Archives (or restores) one version, or every version of the name when `version` is undefined. */
  async setArchived(
    ws: string,
    kind: VersionedKind,
    name: string,
    version: string | undefined,
    archived: boolean,
  ): Promise<AssetRecord[]> {
    const targets =
      version === undefined
        ? await this.ctx.store.assets.all(kind, ws, { name, view: 'All' })
        : [await this.getVersion(ws, kind, name, version)];
    if (targets.length === 0) throw await this.notFound(ws, kind, name, '', 'name');
    const now = this.ctx.clock.now().toISOString();
    const changed = targets.map((r) => ({ ...r, archived, modifiedAt: now }));
    await this.ctx.store.transaction(async () => {
      for (const r of changed) await this.ctx.store.assets.update(r);
      await this.event(
        ws,
        kind,
        name,
        archived ? 'Archived' : 'Restored',
        `${label[kind]} ${name} ${version === undefined ? 'all versions' : `version ${version}`} ${archived ? 'archived' : 'restored'}.`,
      );
    });
    return changed;
  }

  /** The files of a version (its snapshot manifest), for download; ValidationFailed for URL and datastore assets. */
  async manifestOf(
    ws: string,
    kind: VersionedKind,
    name: string,
    version: string,
  ): Promise<SnapshotManifest> {
    const r = await this.getVersion(ws, kind, name, version);
    if (!r.snapshotId)
      throw new HangarError(
        'ValidationFailed',
        `${label[kind]} ${name}:${r.version} points at ${String(r.doc[uriField[kind] ?? ''] ?? 'nothing')}, not at files Hangar stores; download it from there.`,
        'version',
      );
    return this.snapshots.getManifest(r.snapshotId);
  }

  /** One blob of a version's files; NotFound unless the version's manifest holds it. */
  async blobOf(ws: string, kind: VersionedKind, name: string, version: string, sha: string): Promise<Buffer> {
    const manifest = await this.manifestOf(ws, kind, name, version);
    if (!manifest.entries.some((e) => e.kind === 'file' && e.sha256 === sha))
      throw new HangarError(
        'NotFound',
        `Blob ${sha} is not part of ${label[kind]} ${name}:${version}.`,
        'sha256',
      );
    return this.snapshots.blobs.get(sha);
  }

  // ---- AssetResolution: the hooks for job submission, the agent and gc ----

  async resolveDataReference(
    ws: string,
    ref: string,
    options: { caller?: Principal; field?: string; assetKind?: 'data' | 'model' } = {},
  ): Promise<ResolvedData> {
    const field = options.field ?? 'path';
    await this.workspace(ws);
    if (options.caller) {
      const may = await this.access.allows(options.caller, `${actionPrefix}workspaces/data/read`);
      if (options.caller.kind !== 'node' && !may(`/workspaces/${ws}`))
        throw new HangarError(
          'AuthorizationFailed',
          `${options.caller.kind} '${options.caller.name}' may not read data in workspace '${ws}' (${field}).`,
          field,
        );
    }
    const parsed = parseAssetRef(ref, field);
    if (parsed.kind === 'asset') {
      const version = 'version' in parsed ? parsed.version : parsed.label;
      if ('label' in parsed) checkLabel(parsed.label, field);
      const kinds: ('data' | 'model')[] = options.assetKind ? [options.assetKind] : ['data', 'model'];
      let record: AssetRecord | undefined;
      for (const k of kinds) {
        record =
          version === 'latest'
            ? (await this.ctx.store.assets.all(k, ws, { name: parsed.name }))[0]
            : await this.ctx.store.assets.get(k, ws, parsed.name, version);
        if (record) break;
      }
      if (!record) {
        for (const k of kinds) {
          const any = await this.ctx.store.assets.all(k, ws, { name: parsed.name, view: 'All' });
          if (any.length > 0) throw await this.notFound(ws, k, parsed.name, version, field, ref);
        }
        throw new HangarError(
          'NotFound',
          `${field}: '${ref}': no ${kinds.join(' or ')} asset named '${parsed.name}' exists in workspace '${ws}'.`,
          field,
        );
      }
      const kind = record.kind as 'data' | 'model';
      const doc = record.doc as unknown as DataDoc & ModelDoc;
      const type = kind === 'data' ? doc.dataType : doc.modelType;
      const asset: ResolvedAssetVersion = {
        assetId: assetId(kind, ws, record.name, record.version),
        assetKind: kind,
        name: record.name,
        version: record.version,
        type,
      };
      const uri = kind === 'data' ? doc.dataUri : doc.modelUri;
      return { ...(await this.resolveUri(ws, uri, field, ref)), asset, type };
    }
    return this.resolveUri(ws, ref, field, ref);
  }

  private async resolveUri(ws: string, uri: string, field: string, ref: string): Promise<ResolvedData> {
    const t = await this.uris.target(ws, uri, field);
    if (t.kind === 'record')
      throw new HangarError(
        'ValidationFailed',
        `${field}: '${ref}' is on datastore ${t.datastore}: ${t.reason}.`,
        field,
      );
    if (t.kind === 'snapshot') return { kind: 'snapshot', snapshotId: t.snapshotId, subPath: t.subPath };
    if (t.kind === 'path') return { kind: 'path', datastore: t.datastore, root: t.root, path: t.path };
    return { kind: 'url', url: t.url };
  }

  async registerOutputAsAsset(ws: string, out: OutputRegistration): Promise<AssetRecord> {
    let snapshotId = out.snapshotId;
    let sub = '';
    if (out.subPath) {
      const manifest = await this.snapshots.getManifest(out.snapshotId);
      snapshotId = (await this.snapshots.putManifest(subManifest(manifest, out.subPath))).id;
    }
    if (out.type === 'uri_file') {
      const manifest = await this.snapshots.getManifest(snapshotId);
      const files = manifest.entries.filter((e) => e.kind === 'file');
      if (files.length !== 1)
        throw new HangarError(
          'ValidationFailed',
          `outputs.${out.output}: a uri_file output holds one file; it holds ${files.length}.`,
          `outputs.${out.output}`,
        );
      sub = files[0]?.path ?? '';
    }
    const uri = snapshotUri(snapshotId, sub);
    const props: VersionProperties =
      out.assetKind === 'data'
        ? { dataType: out.type, dataUri: uri, tags: out.tags ?? {}, properties: {} }
        : { modelType: out.type, modelUri: uri, jobName: out.job, tags: out.tags ?? {}, properties: {} };
    if (out.description !== undefined) props.description = out.description;
    const { record } = await this.createVersion(ws, out.assetKind, out.name, out.version, props);
    await this.recordLineage([
      {
        workspace: ws,
        job: out.job,
        direction: 'output',
        port: out.output,
        kind: out.assetKind,
        name: record.name,
        version: record.version,
        at: this.ctx.clock.now().toISOString(),
      },
    ]);
    return record;
  }

  recordLineage(entries: LineageEntry[]): Promise<void> {
    return this.ctx.store.assets.addLineage(entries);
  }

  lineageOfJob(ws: string, job: string): Promise<LineageEntry[]> {
    return this.ctx.store.assets.lineageOfJob(ws, job);
  }

  lineageOfAsset(
    ws: string,
    kind: LineageEntry['kind'],
    name: string,
    version?: string,
  ): Promise<LineageEntry[]> {
    return this.ctx.store.assets.lineageOfAsset(ws, kind, name, version);
  }

  async referencedSnapshots(): Promise<Set<string>> {
    return new Set(await this.ctx.store.assets.snapshotIds());
  }
}
