/** The versioned asset kinds kept in the one generic asset table (environments keep their own). */
export const assetKinds = ['data', 'model', 'component', 'datastore'] as const;
export type AssetKind = (typeof assetKinds)[number];

/** Azure ML's ListViewType: which versions a list shows. */
export type ListView = 'ActiveOnly' | 'ArchivedOnly' | 'All';

/**
 * One version of an asset, as stored: the columns a store filters on, and `doc` (the kind's spec
 * and status as JSON). A version is immutable except `archived`, `modifiedAt` and the doc's
 * description, tags, labels and stage. Datastores are one-version records (version '1'), updated
 * in place as `az ml datastore create` does.
 */
export interface AssetRecord<D = Record<string, unknown>> {
  kind: AssetKind;
  workspace: string;
  name: string;
  version: string;
  archived: boolean;
  /** The content snapshot the version points at (local uploads), so gc and reads can find it. */
  snapshotId?: string;
  createdAt: string;
  modifiedAt: string;
  createdBy?: string;
  doc: D;
}

/** One edge of lineage: a job read (input) or wrote (output) an asset version. */
export interface LineageEntry {
  workspace: string;
  job: string;
  direction: 'input' | 'output';
  /** The job's input or output name. */
  port: string;
  kind: 'data' | 'model' | 'environment' | 'component';
  name: string;
  version: string;
  at: string;
}
