import type { Principal } from '../../domain/access/authorize.js';
import type { AssetRecord, LineageEntry } from '../../domain/assets/asset-record.js';

/** Data and model types a reference may resolve to. */
export type AssetDataType =
  'uri_file' | 'uri_folder' | 'mltable' | 'custom_model' | 'mlflow_model' | 'triton_model';

/** Where a registered asset version, or a raw reference, came from (for lineage and messages). */
export interface ResolvedAssetVersion {
  /** ARM-style id: /workspaces/{ws}/data/{name}/versions/{v} (or models). */
  assetId: string;
  assetKind: 'data' | 'model';
  name: string;
  version: string;
  type: AssetDataType;
}

/**
 * What a data reference resolves to:
 * - `snapshot`: content in Hangar's content-addressed store (workspaceblobstore), read through the
 *   snapshot protocol; `subPath` (no leading '/') narrows to a file or folder inside it ('' = all).
 * - `path`: a folder on a `hangar_path` datastore, `path` absolute on every node that mounts it
 *   (`root` is the datastore's folder; the check that a node reaches it is the job submitter's).
 * - `url`: an https:// URL, handed to the job as-is (`direct` mode) or downloaded.
 * `asset` is set when the reference named a registered data or model version.
 */
export type ResolvedData =
  | {
      kind: 'snapshot';
      snapshotId: string;
      subPath: string;
      asset?: ResolvedAssetVersion;
      type?: AssetDataType;
    }
  | {
      kind: 'path';
      datastore: string;
      root: string;
      path: string;
      asset?: ResolvedAssetVersion;
      type?: AssetDataType;
    }
  | { kind: 'url'; url: string; asset?: ResolvedAssetVersion; type?: AssetDataType };

/** A job output to register as a data or model version when the job ends. */
export interface OutputRegistration {
  assetKind: 'data' | 'model';
  name: string;
  /** Omitted: the next integer version. An existing version is refused (AssetVersionExists). */
  version?: string;
  type: AssetDataType;
  /** The snapshot holding the output (the job's outputs snapshot, or one of the output alone). */
  snapshotId: string;
  /** The output's folder (or file) inside that snapshot, e.g. the output name; omitted: all of it. */
  subPath?: string;
  /** The job that wrote it, and its output name: recorded as lineage and on the version (jobName). */
  job: string;
  output: string;
  description?: string;
  tags?: Record<string, string>;
}

/**
 * The asset layer's hooks for job submission, the agent and gc (implemented by AssetService,
 * `services.assets`). Errors are HangarErrors: ValidationFailed for a malformed reference or an
 * unreachable datastore, NotFound naming the reference and listing the versions that exist.
 */
export interface AssetResolution {
  /**
   * Resolves a job input's `path` in `workspace`: `azureml:<name>:<version>`, `azureml:<name>@latest`
   * (highest non-archived version by creation; `latest` is the only label),
   * `azureml://datastores/<ds>/paths/<p>`, `azureml://jobs/<job>/outputs/<out>/paths/<p>` or
   * `https://…`. `caller` (when given) must be allowed to read data in the workspace; `field` names
   * the input in errors (default 'path'); `assetKind` limits `azureml:<name>…` to data or models
   * (default: data, then models). Local paths are not references: ValidationFailed.
   */
  resolveDataReference(
    workspace: string,
    ref: string,
    options?: { caller?: Principal; field?: string; assetKind?: 'data' | 'model' },
  ): Promise<ResolvedData>;

  /** Creates the data or model version of a job output (system call: no caller check) and records the lineage edge. */
  registerOutputAsAsset(workspace: string, out: OutputRegistration): Promise<AssetRecord>;

  /** Stores lineage edges (a job's inputs at submission, its outputs at the end); repeated edges are kept once. */
  recordLineage(entries: LineageEntry[]): Promise<void>;

  /** The asset versions a job read and wrote. */
  lineageOfJob(workspace: string, job: string): Promise<LineageEntry[]>;

  /** The jobs that read or wrote an asset (every version, or one). */
  lineageOfAsset(
    workspace: string,
    kind: LineageEntry['kind'],
    name: string,
    version?: string,
  ): Promise<LineageEntry[]>;

  /** Every snapshot id an asset version (archived or not) points at, in every workspace: gc keeps them. */
  referencedSnapshots(): Promise<Set<string>>;
}
