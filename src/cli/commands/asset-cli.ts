import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { snapshotUri } from '../../domain/assets/snapshot-uri.js';
import { formatBytes } from '../../domain/snapshots/format-bytes.js';
import { applySetOverrides } from '../../domain/jobs/set-overrides.js';
import type { VersionedAssets } from '../../sdk/assets.js';
import type { ArmResource, HangarClient, ListViewType } from '../../sdk/index.js';
import { buildFileSnapshot, buildSnapshot } from '../../snapshots/snapshot-builder.js';
import { uploadSnapshot } from '../../snapshots/snapshot-client.js';
import { hashCacheFile } from '../../snapshots/hash-cache.js';
import { resolveHome } from '../../config/config.js';
import { materializeSnapshot } from '../../snapshots/snapshot-materializer.js';
import { action, progress, UsageError, withCommon, type CommonOptions } from '../cli-context.js';
import { printResult, type Column } from '../output.js';

/** Flags the asset groups share (az ml's names). */
export interface AssetFlags extends CommonOptions {
  file?: string;
  name?: string;
  version?: string;
  label?: string;
  set?: string[];
  path?: string;
  type?: string;
  description?: string;
  tags?: string[];
  archivedOnly?: boolean;
  includeArchived?: boolean;
  maxResults?: string;
  downloadPath?: string;
}

/** Reads `-f` YAML (or nothing), then the flags over it, then `--set`; `base` is the YAML's folder (relative paths). */
export function readAssetDoc(
  o: AssetFlags,
  flags: Record<string, unknown>,
): { doc: Record<string, unknown>; base: string } {
  const base = o.file ? dirname(resolve(o.file)) : process.cwd();
  let doc: Record<string, unknown> = {};
  if (o.file) {
    let text: string;
    try {
      text = readFileSync(o.file, 'utf8');
    } catch (err) {
      throw new UsageError(`--file: cannot read '${o.file}': ${(err as Error).message}`);
    }
    const parsed: unknown = parseYaml(text);
    if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed)))
      throw new UsageError(`--file: '${o.file}' is not a YAML mapping`);
    doc = (parsed ?? {}) as Record<string, unknown>;
  }
  const given = Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined));
  return { doc: applySetOverrides({ ...doc, ...given }, o.set ?? []), base };
}

/** `--tags k=v k2=v2` as a mapping. */
export function tagsOf(tags: string[] | undefined): Record<string, string> | undefined {
  if (!tags) return undefined;
  return Object.fromEntries(
    tags.map((t) => {
      const eq = t.indexOf('=');
      return eq < 0 ? [t, ''] : [t.slice(0, eq), t.slice(eq + 1)];
    }),
  );
}

/** Which versions a list shows: --archived-only / --include-archived. */
export function viewOf(o: AssetFlags): ListViewType {
  if (o.archivedOnly && o.includeArchived)
    throw new UsageError('--archived-only and --include-archived cannot be used together');
  return o.archivedOnly ? 'ArchivedOnly' : o.includeArchived ? 'All' : 'ActiveOnly';
}

/** The version a show/download names: -v, or -l latest (the default). */
export function versionOf(o: AssetFlags, required = false): string {
  if (o.version && o.label) throw new UsageError('give --version or --label, not both');
  if (o.label !== undefined && o.label !== 'latest')
    throw new UsageError(`--label: '${o.label}' is not known; 'latest' is the only label`);
  if (!o.version && o.label === undefined && required)
    throw new UsageError('--version or --label is required');
  return o.version ?? 'latest';
}

/** Uploads a local file or folder (only what the server lacks) and answers its workspaceblobstore URI. */
export async function uploadLocal(
  client: HangarClient,
  path: string,
  base: string,
  what: string,
  field = 'path',
): Promise<string> {
  const abs = isAbsolute(path) ? path : resolve(base, path);
  if (!existsSync(abs)) throw new UsageError(`${field}: '${path}' does not exist (resolved to ${abs})`);
  const isFile = statSync(abs).isFile();
  // The hash cache (HANGAR_HOME/hash-cache): an unchanged folder is walked, not read again.
  const built = isFile
    ? await buildFileSnapshot(abs)
    : await buildSnapshot(abs, { hashCacheFile: hashCacheFile(resolveHome(), abs) });
  const transport = { url: client.http.url, headers: client.http.headers() };
  const r = await uploadSnapshot(transport, built);
  progress(
    `${what}: ${built.summary.fileCount} file(s), ${formatBytes(built.summary.totalBytes)}; uploaded ${r.uploadedBlobs} (${formatBytes(r.uploadedBytes)}), ${r.reusedBlobs} already on the server`,
  );
  return snapshotUri(r.snapshotId, isFile ? basename(abs) : '');
}

/** Writes a data or model version's files under `dest`. */
export async function downloadVersion(
  client: HangarClient,
  kind: 'data' | 'models',
  name: string,
  version: string,
  dest: string,
): Promise<number> {
  const assets = kind === 'data' ? client.data : client.models;
  const manifest = await assets.manifest(name, version);
  await materializeSnapshot(manifest, dest, async (sha) =>
    Buffer.from(await assets.blob(name, version, sha)),
  );
  return manifest.entries.length;
}

/** Azure's creation_context from systemData. */
export function creationContext(r: ArmResource): Record<string, unknown> {
  const s = r.systemData;
  return {
    created_at: s.createdAt,
    ...(s.createdBy !== undefined ? { created_by: s.createdBy, created_by_type: s.createdByType } : {}),
    last_modified_at: s.lastModifiedAt,
  };
}

/** The asset name of a version resource (its `name` is the version): from its id. */
export function nameOfVersion(r: ArmResource): string {
  const m = /\/([^/]+)\/versions\/[^/]+$/.exec(r.id);
  return m?.[1] ?? '';
}

/** A container as az ml lists it. */
export function flatContainer(r: ArmResource): Record<string, unknown> {
  const p = r.properties;
  return {
    name: r.name,
    latest_version: p.latestVersion,
    description: p.description,
    tags: p.tags,
    creation_context: creationContext(r),
    id: r.id,
  };
}

export const containerColumns: Column<Record<string, unknown>>[] = [
  { header: 'Name', value: (r) => r.name },
  { header: 'Latest version', value: (r) => r.latest_version },
  { header: 'Description', value: (r) => r.description },
];

/** Adds the list flags every asset group has. */
export function withListFlags(cmd: Command): Command {
  return cmd
    .option('-n, --name <name>', 'list the versions of this asset (else one row per asset)')
    .option('--archived-only', 'only archived ones')
    .option('--include-archived', 'archived ones too')
    .option('-r, --max-results <n>', 'at most this many');
}

/** Keeps the first --max-results rows. */
export function limited<T>(rows: T[], o: AssetFlags): T[] {
  if (o.maxResults === undefined) return rows;
  const n = Number(o.maxResults);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--max-results: '${o.maxResults}' is not a positive integer`);
  return rows.slice(0, n);
}

/** Where az ml downloads a model: <download-path>/<name>. */
export function downloadFolder(o: AssetFlags, name: string): string {
  return join(resolve(o.downloadPath ?? '.'), name);
}

/** `tags:` (or `properties:`) of a YAML or a --set as the API's string map. */
export function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries((value ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
  );
}

/**
 * One versioned-asset group of the CLI (environment, component, data, model): its commander
 * group, its client collection and how it prints a version. The verbs every such group has in
 * common (show, list, update, archive, restore) are added from it.
 */
export interface AssetGroup<O extends AssetFlags = AssetFlags> {
  group: Command;
  /** The asset with its article, for help texts: `an environment`, `a component`. */
  noun: string;
  assets: (o: O) => VersionedAssets;
  /** A version as az ml prints it. */
  flat: (r: ArmResource) => Record<string, unknown>;
  /** The table columns of a version. */
  columns: Column<Record<string, unknown>>[];
}

/** Prints a result with the group's version columns (or others, for containers). */
export function printAsset<O extends AssetFlags>(
  g: AssetGroup<O>,
  value: unknown,
  o: O,
  columns = g.columns,
): void {
  printResult(value, { ...o, tableColumns: columns });
}

/** `show -n [-v | -l latest]`: one version, the latest by default. */
export function addShowCommand<O extends AssetFlags>(g: AssetGroup<O>): void {
  withCommon(g.group.command('show').description(`Show ${g.noun} version (default: latest)`))
    .requiredOption('-n, --name <name>', 'name')
    .option('-v, --version <version>', 'version')
    .option('-l, --label <label>', "label ('latest')")
    .action(
      action(async (o: O) => printAsset(g, g.flat(await g.assets(o).get(o.name ?? '', versionOf(o))), o)),
    );
}

/**
 * `list [-n]`: the versions of one name, else one row per asset: its container by default, or
 * what `containers` prints instead (environments show each one's latest version).
 */
export function addListCommand<O extends AssetFlags>(
  g: AssetGroup<O>,
  description: string,
  containers?: (assets: VersionedAssets, o: O) => Promise<void>,
): void {
  withCommon(withListFlags(g.group.command('list').description(description))).action(
    action(async (o: O) => {
      const a = g.assets(o);
      if (o.name) printAsset(g, limited((await a.listVersions(o.name, viewOf(o))).map(g.flat), o), o);
      else if (containers) await containers(a, o);
      else
        printAsset(
          g,
          limited((await a.listContainers(viewOf(o))).map(flatContainer), o),
          o,
          containerColumns,
        );
    }),
  );
}

/**
 * `update -n [-v|-l] --set …`: only the keys in `allowed` may change (a version's content is
 * immutable); `apply` turns the current version's properties and the changes into the new ones.
 */
export function addUpdateCommand<O extends AssetFlags>(
  g: AssetGroup<O>,
  spec: {
    description: string;
    setHelp: string;
    allowed: readonly string[];
    /** Why the other keys cannot change, after `--set: <keys> cannot change; `. */
    immutable: string;
    apply: (current: Record<string, unknown>, changes: Record<string, unknown>) => Record<string, unknown>;
  },
): void {
  withCommon(g.group.command('update').description(spec.description))
    .requiredOption('-n, --name <name>', 'name')
    .option('-v, --version <version>', 'version')
    .option('-l, --label <label>', "label ('latest')")
    .option('-s, --set <pairs...>', spec.setHelp)
    .action(
      action(async (o: O) => {
        const a = g.assets(o);
        const current = await a.get(o.name ?? '', versionOf(o));
        const changes = readAssetDoc({ set: o.set ?? [] }, {}).doc;
        const bad = Object.keys(changes).filter((k) => !spec.allowed.includes(k));
        if (bad.length > 0) throw new UsageError(`--set: ${bad.join(', ')} cannot change; ${spec.immutable}`);
        printAsset(
          g,
          g.flat(await a.create(o.name ?? '', current.name, spec.apply(current.properties, changes))),
          o,
        );
      }),
    );
}

/** `archive|restore -n [-v|-l]`: one version, or every version of the name without -v. */
export function addArchiveCommands<O extends AssetFlags>(g: AssetGroup<O>): void {
  for (const verb of ['archive', 'restore'] as const)
    withCommon(
      g.group
        .command(verb)
        .description(
          `${verb === 'archive' ? 'Archive' : 'Restore'} a version, or every version when -v is not given`,
        ),
      false,
    )
      .requiredOption('-n, --name <name>', 'name')
      .option('-v, --version <version>', 'version (default: every version)')
      .option('-l, --label <label>', "label ('latest')")
      .action(
        action(async (o: O) => {
          const version = o.version ?? (o.label !== undefined ? versionOf(o) : undefined);
          const changed = await g.assets(o).setArchived(o.name ?? '', version, verb === 'archive');
          progress(
            `${verb === 'archive' ? 'archived' : 'restored'}: ${changed.map((r) => `${o.name ?? ''}:${r.name}`).join(', ')}`,
          );
        }),
      );
}
