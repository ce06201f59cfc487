import { useState, type ReactNode } from 'react';
import type { ArmResource, VersionedAssets } from '../../../src/sdk/assets.js';
import { ErrorBanner, Properties } from '../components/ui.js';
import { api, getJson, wsPath } from '../lib/api.js';
import { Link } from '../lib/router.js';
import { usePoll } from '../lib/use-poll.js';

/** The asset kinds the studio lists: path segment (as in the API and the studio URL) and titles. */
export const assetKinds = {
  data: { title: 'Data', one: 'data asset', lineage: true },
  models: { title: 'Models', one: 'model', lineage: true },
  components: { title: 'Components', one: 'component', lineage: true },
  environments: { title: 'Environments', one: 'environment', lineage: false },
} as const;
export type AssetSegment = keyof typeof assetKinds;

/** One lineage edge: a job read (input) or wrote (output) the version. */
interface LineageEntry {
  job: string;
  direction: 'input' | 'output';
  port: string;
  at: string;
}

const enc = encodeURIComponent;
const client = (segment: AssetSegment): VersionedAssets => api()[segment];
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const archivedOf = (r: ArmResource): boolean => r.properties.isArchived === true;
const when = (iso: unknown): string => (typeof iso === 'string' && iso ? new Date(iso).toLocaleString() : '');

/** What a version points at, per kind: its type and its URI (or image). */
function typeAndUri(segment: AssetSegment, p: Record<string, unknown>): [string, string] {
  if (segment === 'data') return [str(p.dataType), str(p.dataUri)];
  if (segment === 'models') return [str(p.modelType), str(p.modelUri)];
  if (segment === 'components') {
    const spec = (p.componentSpec ?? {}) as Record<string, unknown>;
    return [str(spec.type || 'command'), str(spec.command)];
  }
  return [
    p.build ? 'build' : 'image',
    str(p.image ?? (p.build as { contextUri?: string } | undefined)?.contextUri),
  ];
}

/** A kind's containers (one per name) with their latest version; archived ones on request. */
export function AssetsPage({ segment }: { segment: AssetSegment }): ReactNode {
  const kind = assetKinds[segment];
  const [showArchived, setShowArchived] = useState(false);
  const list = usePoll(() => client(segment).listContainers(showArchived ? 'All' : 'ActiveOnly'), 10_000, [
    segment,
    showArchived,
  ]);
  const rows = list.data ?? [];
  return (
    <section aria-labelledby="assets-title">
      <h1 id="assets-title">{kind.title}</h1>
      <label>
        <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} />{' '}
        Show archived
      </label>
      <ErrorBanner error={list.error} />
      {!list.loading && rows.length === 0 ? (
        <p>
          No {kind.one} yet: create one with{' '}
          <code>hangar {segment === 'models' ? 'model' : segment.replace(/s$/, '')} create</code> or the Azure
          ML SDK.
        </p>
      ) : (
        <div className="table-wrap">
          <table aria-label={kind.title}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Latest version</th>
                <th scope="col">Description</th>
                <th scope="col">Modified</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((c) => (
                <tr key={c.name} data-name={c.name}>
                  <th scope="row">
                    <Link to={`/${segment}/${enc(c.name)}`}>{c.name}</Link>
                    {archivedOf(c) ? ' (archived)' : ''}
                  </th>
                  <td>{str(c.properties.latestVersion) || '—'}</td>
                  <td>{str(c.properties.description)}</td>
                  <td>{when(c.systemData.lastModifiedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Every version of one name, newest first, archived ones marked. */
export function AssetVersionsPage({ segment, name }: { segment: AssetSegment; name: string }): ReactNode {
  const kind = assetKinds[segment];
  const versions = usePoll(() => client(segment).listVersions(name, 'All'), 10_000, [segment, name]);
  return (
    <section aria-labelledby="versions-title">
      <p>
        <Link to={`/${segment}`}>{kind.title}</Link>
      </p>
      <h1 id="versions-title">{name}</h1>
      <ErrorBanner error={versions.error} />
      <div className="table-wrap">
        <table aria-label={`Versions of ${name}`}>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Type</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Created by</th>
            </tr>
          </thead>
          <tbody>
            {(versions.data ?? []).map((v) => (
              <tr key={v.name} data-version={v.name}>
                <th scope="row">
                  <Link to={`/${segment}/${enc(name)}/versions/${enc(v.name)}`}>{v.name}</Link>
                </th>
                <td>{typeAndUri(segment, v.properties)[0]}</td>
                <td>{archivedOf(v) ? 'Archived' : 'Active'}</td>
                <td>{when(v.systemData.createdAt)}</td>
                <td>{str(v.systemData.createdBy)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** One version: its properties and tags, the jobs that read or wrote it, and archive/restore. */
export function AssetVersionPage({
  segment,
  name,
  version,
}: {
  segment: AssetSegment;
  name: string;
  version: string;
}): ReactNode {
  const kind = assetKinds[segment];
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const got = usePoll(
    async () => {
      const v = await client(segment).get(name, version);
      const lineage = kind.lineage
        ? (
            await getJson<{ value: LineageEntry[] }>(
              `${wsPath()}/${segment}/${enc(name)}/versions/${enc(v.name)}/jobs`,
            )
          ).value
        : [];
      return { v, lineage };
    },
    0,
    [segment, name, version],
  );
  const v = got.data?.v;
  const setArchived = async (archived: boolean): Promise<void> => {
    setBusy(true);
    setActionError(undefined);
    try {
      await client(segment).setArchived(name, v?.name ?? version, archived);
      got.refresh();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(false);
    }
  };
  const p = v?.properties ?? {};
  const [type, uri] = typeAndUri(segment, p);
  const tags = Object.entries((p.tags ?? {}) as Record<string, string>);
  return (
    <section aria-labelledby="version-title">
      <p>
        <Link to={`/${segment}`}>{kind.title}</Link> / <Link to={`/${segment}/${enc(name)}`}>{name}</Link>
      </p>
      <h1 id="version-title">
        {name}:{v?.name ?? version}
      </h1>
      <ErrorBanner error={got.error ?? actionError} />
      {v && (
        <>
          <div className="actions">
            {archivedOf(v) ? (
              <button type="button" disabled={busy} onClick={() => void setArchived(false)}>
                Restore
              </button>
            ) : (
              <button type="button" disabled={busy} onClick={() => void setArchived(true)}>
                Archive
              </button>
            )}
          </div>
          <Properties
            rows={[
              ['State', archivedOf(v) ? 'Archived (not picked by @latest)' : 'Active'],
              ['Type', type],
              [segment === 'components' ? 'Command' : segment === 'environments' ? 'Image' : 'URI', uri],
              ['Description', str(p.description)],
              ['Created', when(v.systemData.createdAt)],
              ['Created by', str(v.systemData.createdBy)],
              ['Reference', <code key="ref">{`azureml:${name}:${v.name}`}</code>],
            ]}
          />
          <h2>Tags</h2>
          {tags.length === 0 ? (
            <p>No tags.</p>
          ) : (
            <Properties rows={tags.map(([k, t]): [string, ReactNode] => [k, t])} />
          )}
          {kind.lineage && (
            <>
              <h2>Lineage</h2>
              {(got.data?.lineage ?? []).length === 0 ? (
                <p>No job has read or written this version.</p>
              ) : (
                <div className="table-wrap">
                  <table aria-label="Lineage">
                    <thead>
                      <tr>
                        <th scope="col">Job</th>
                        <th scope="col">Direction</th>
                        <th scope="col">Input or output</th>
                        <th scope="col">When</th>
                      </tr>
                    </thead>
                    <tbody>
                      {(got.data?.lineage ?? []).map((e) => (
                        <tr key={`${e.job}/${e.direction}/${e.port}`}>
                          <th scope="row">
                            <Link to={`/jobs/${enc(e.job)}`}>{e.job}</Link>
                          </th>
                          <td>{e.direction === 'input' ? 'read by' : 'written by'}</td>
                          <td>{e.port}</td>
                          <td>{when(e.at)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}
