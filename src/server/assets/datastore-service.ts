import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import type { Principal } from '../../domain/access/authorize.js';
import type { AssetRecord } from '../../domain/assets/asset-record.js';
import { checkDatastoreName } from '../../domain/assets/asset-names.js';
import { toDatastoreResource, type VersionResource } from '../../domain/assets/asset-view.js';
import {
  datastoreDocOf,
  defaultDatastoreName,
  unreachableReason,
  type DatastoreDoc,
  type DatastoreRequest,
  type DatastoreSecrets,
} from '../../domain/assets/datastore-spec.js';
import { HangarError } from '../../domain/errors/hangar-error.js';
import type { ServiceContext } from '../services/service-context.js';

const ownerOf = (ws: string, name: string): string => `datastore:${ws}/${name}`;

/** Checks, from the server, that a HangarPath folder exists and can be listed; the error names the field. */
function checkFolder(path: string): void {
  const fail = (why: string): never => {
    throw new HangarError(
      'ValidationFailed',
      `properties.path: folder '${path}' ${why} on the server; a hangar_path datastore names a folder every node reaches (local disk or an NFS mount).`,
      'properties.path',
    );
  };
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    fail('does not exist');
  }
  if (!isDir) fail('is not a folder');
  try {
    accessSync(path, constants.R_OK | constants.X_OK);
    readdirSync(path);
  } catch {
    fail('cannot be read');
  }
}

/**
 * Datastores: `workspaceblobstore` (Hangar's content-addressed store, the default, made lazily in
 * every workspace), `hangar_path` folders, and Azure types kept as records with their credentials
 * encrypted apart (never answered by a read; listSecrets only, audited by the HTTP layer).
 */
export class DatastoreService {
  constructor(private readonly ctx: ServiceContext) {}

  private async workspace(ws: string): Promise<void> {
    if (!(await this.ctx.store.workspaces.get(ws)))
      throw new HangarError('NotFound', `Workspace '${ws}' does not exist.`, 'workspace');
  }

  /** The default datastore's record, stored on first use (every workspace has one). */
  private async ensureDefault(ws: string): Promise<void> {
    if (await this.ctx.store.assets.get('datastore', ws, defaultDatastoreName, '1')) return;
    const now = this.ctx.clock.now().toISOString();
    const doc: DatastoreDoc = {
      datastoreType: 'HangarBlob',
      description: "Hangar's content-addressed store: uploaded data, models, code and job outputs.",
      tags: {},
      credentials: { credentialsType: 'None' },
      isDefault: true,
    };
    await this.ctx.store.assets
      .insert({
        kind: 'datastore',
        workspace: ws,
        name: defaultDatastoreName,
        version: '1',
        archived: false,
        createdAt: now,
        modifiedAt: now,
        doc: doc,
      })
      // Two first uses at once: the other one stored it.
      .catch((err: unknown) => {
        if ((err as HangarError).code !== 'AssetVersionExists') throw err;
      });
  }

  async list(ws: string): Promise<AssetRecord[]> {
    await this.workspace(ws);
    await this.ensureDefault(ws);
    return (await this.ctx.store.assets.all('datastore', ws, { view: 'All' })).reverse();
  }

  async get(ws: string, name: string): Promise<AssetRecord> {
    await this.workspace(ws);
    await this.ensureDefault(ws);
    const r = await this.ctx.store.assets.get('datastore', ws, name, '1');
    if (r) return r;
    const names = (await this.ctx.store.assets.all('datastore', ws, { view: 'All' })).map((d) => d.name);
    throw new HangarError(
      'NotFound',
      `Datastore '${name}' does not exist in workspace '${ws}'; datastores there: ${names.sort().join(', ')}.`,
      'name',
    );
  }

  /** Creates or replaces a datastore (az ml datastore create updates an existing one). */
  async put(
    ws: string,
    name: string,
    body: DatastoreRequest,
    caller?: Principal,
  ): Promise<{ record: AssetRecord; created: boolean }> {
    await this.workspace(ws);
    checkDatastoreName(name);
    if (name === defaultDatastoreName || name === 'workspaceartifactstore')
      throw new HangarError(
        'ValidationFailed',
        `name: '${name}' is Hangar's own datastore and cannot be replaced.`,
        'name',
      );
    const { doc, secrets } = datastoreDocOf(body);
    if (doc.datastoreType === 'HangarPath' && doc.path) checkFolder(doc.path);
    if (doc.isDefault)
      throw new HangarError(
        'ValidationFailed',
        `properties.isDefault: ${defaultDatastoreName} is the default datastore.`,
        'properties.isDefault',
      );
    const existing = await this.ctx.store.assets.get('datastore', ws, name, '1');
    const now = this.ctx.clock.now().toISOString();
    const record: AssetRecord = {
      kind: 'datastore',
      workspace: ws,
      name,
      version: '1',
      archived: false,
      createdAt: existing?.createdAt ?? now,
      modifiedAt: now,
      doc: { ...doc, isDefault: false },
    };
    const by = existing?.createdBy ?? caller?.name;
    if (by !== undefined) record.createdBy = by;
    const encrypted = secrets ? this.ctx.secrets.encrypt(JSON.stringify(secrets)) : undefined;
    await this.ctx.store.transaction(async () => {
      if (existing) await this.ctx.store.assets.update(record);
      else await this.ctx.store.assets.insert(record);
      await this.ctx.store.secrets.deleteOwner(ownerOf(ws, name));
      if (encrypted) await this.ctx.store.secrets.put(ownerOf(ws, name), 'secrets', encrypted);
      await this.ctx.store.events.append({
        at: now,
        workspace: ws,
        resource: `datastore/${name}`,
        reason: existing ? 'Updated' : 'Created',
        message: `${doc.datastoreType} datastore ${existing ? 'updated' : 'created'}${unreachableReason(doc.datastoreType) ? `; ${unreachableReason(doc.datastoreType) ?? ''}` : ''}.`,
        level: 'Info',
      });
    });
    return { record, created: !existing };
  }

  /** Removes a user datastore (its secrets with it); data that names it keeps its URI, unresolvable. */
  async delete(ws: string, name: string): Promise<void> {
    const r = await this.get(ws, name);
    if (r.name === defaultDatastoreName)
      throw new HangarError(
        'ValidationFailed',
        `name: '${name}' is the default datastore; it stays.`,
        'name',
      );
    await this.ctx.store.transaction(async () => {
      await this.ctx.store.assets.delete('datastore', ws, name, '1');
      await this.ctx.store.secrets.deleteOwner(ownerOf(ws, name));
    });
  }

  /** The datastore's secrets (Azure's listSecrets answer); `{secretsType: 'None'}` when it has none. */
  async listSecrets(ws: string, name: string): Promise<DatastoreSecrets | { secretsType: 'None' }> {
    await this.get(ws, name);
    const stored = (await this.ctx.store.secrets.list(ownerOf(ws, name))).secrets;
    if (!stored) return { secretsType: 'None' };
    return JSON.parse(this.ctx.secrets.decrypt(stored)) as DatastoreSecrets;
  }

  /** The API resource: never secrets; says whether Hangar reaches the files. */
  static render(r: AssetRecord): VersionResource {
    const type = (r.doc as unknown as DatastoreDoc).datastoreType;
    const reason = unreachableReason(type);
    return toDatastoreResource(
      r,
      reason ? { reachable: false, notReachableReason: reason } : { reachable: true },
    );
  }
}
