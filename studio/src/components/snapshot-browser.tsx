import { useState, type ReactNode } from 'react';
import { api, errorText, getJson } from '../lib/api.js';
import { formatBytes } from '../../../src/domain/snapshots/format-bytes.js';
import { usePoll } from '../lib/use-poll.js';
import { ErrorBanner } from './ui.js';

interface Entry {
  path: string;
  kind: 'file' | 'symlink';
  sha256?: string;
  size?: number;
  target?: string;
}

const viewLimit = 256 * 1024;

/** Blobs are read through the snapshot that holds them (the server checks the caller may read its job). */
const blobUrl = (snapshot: string, sha256: string | undefined): string =>
  `/api/blobs/${sha256 ?? ''}?snapshot=${snapshot}`;

function FileView({ entry, snapshot }: { entry: Entry; snapshot: string }): ReactNode {
  const [text, setText] = useState<string>();
  const [error, setError] = useState<string>();
  const open = async (): Promise<void> => {
    try {
      const res = await api().http.raw('GET', blobUrl(snapshot, entry.sha256));
      const buf = new Uint8Array(await res.arrayBuffer());
      setText(buf.includes(0) ? '(binary file: download it instead)' : new TextDecoder().decode(buf));
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <>
      {(entry.size ?? 0) <= viewLimit && text === undefined && (
        <button type="button" className="link" onClick={() => void open()} aria-label={`View ${entry.path}`}>
          View
        </button>
      )}
      {text !== undefined && (
        <button
          type="button"
          className="link"
          onClick={() => setText(undefined)}
          aria-label={`Hide ${entry.path}`}
        >
          Hide
        </button>
      )}
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
      {text !== undefined && (
        <pre className="file-text" tabIndex={0} aria-label={`Contents of ${entry.path}`}>
          {text}
        </pre>
      )}
    </>
  );
}

/** The files of a snapshot (a job's code or outputs) by folder, each viewable and downloadable. */
export function SnapshotBrowser({ id, label }: { id: string | undefined; label: string }): ReactNode {
  const manifest = usePoll(
    () => (id ? getJson<{ entries: Entry[] }>(`/api/snapshots/${id}`) : Promise.resolve({ entries: [] })),
    0,
    [id],
  );
  if (!id) return <p>No {label.toLowerCase()} recorded.</p>;
  const entries = [...(manifest.data?.entries ?? [])].sort((a, b) => a.path.localeCompare(b.path));
  const folders = new Map<string, Entry[]>();
  for (const e of entries) {
    const dir = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : '.';
    folders.set(dir, [...(folders.get(dir) ?? []), e]);
  }
  const total = entries.reduce((n, e) => n + (e.size ?? 0), 0);
  return (
    <div className="snapshot">
      <ErrorBanner error={manifest.error} />
      <p className="hint">
        {entries.length} file(s), {formatBytes(total)}
      </p>
      {[...folders.entries()].map(([dir, files]) => (
        <details key={dir} open={folders.size <= 5}>
          <summary>{dir === '.' ? '(top folder)' : `${dir}/`}</summary>
          <ul className="files" aria-label={`${label} in ${dir}`}>
            {files.map((f) => (
              <li key={f.path}>
                <span className="file-name">{f.path.slice(dir === '.' ? 0 : dir.length + 1)}</span>{' '}
                {f.kind === 'symlink' ? (
                  <span className="hint">→ {f.target}</span>
                ) : (
                  <>
                    <span className="hint">{formatBytes(f.size ?? 0)}</span>{' '}
                    <a
                      href={blobUrl(id, f.sha256)}
                      download={f.path.split('/').pop()}
                      aria-label={`Download ${f.path}`}
                    >
                      Download
                    </a>{' '}
                    <FileView entry={f} snapshot={id} />
                  </>
                )}
              </li>
            ))}
          </ul>
        </details>
      ))}
    </div>
  );
}
