import type { ReactNode } from 'react';
import { api } from '../lib/api.js';
import { ago } from '../lib/format.js';
import { Link, navigate, useLocation } from '../lib/router.js';
import { usePoll } from '../lib/use-poll.js';
import {
  computeTabs,
  inner,
  scaleOf,
  stateOf,
  tabOf,
  type Compute,
  type ComputeTabKey,
} from '../lib/computes.js';
import { Badge, ErrorBanner, Tabs } from '../components/ui.js';

function Apps({ c }: { c: Compute }): ReactNode {
  const apps = (inner(c).applications ?? []) as { displayName: string; endpointUri: string }[];
  if (!apps.length) return '—';
  return (
    <span className="apps">
      {apps.map((a) =>
        a.displayName === 'terminal' ? (
          <Link key={a.displayName} to={`/computes/${encodeURIComponent(c.name)}/terminal`}>
            Terminal
          </Link>
        ) : (
          <a key={a.displayName} href={a.endpointUri} target="_blank" rel="noreferrer">
            {a.displayName === 'jupyter' ? 'Jupyter' : a.displayName}
          </a>
        ),
      )}
    </span>
  );
}

function columns(tab: ComputeTabKey): { head: string; cell: (c: Compute) => ReactNode }[] {
  const name = {
    head: 'Name',
    cell: (c: Compute) => <Link to={`/computes/${encodeURIComponent(c.name)}`}>{c.name}</Link>,
  };
  const state = { head: 'State', cell: (c: Compute) => <Badge state={stateOf(c)} /> };
  const size = { head: 'Size', cell: (c: Compute) => String(inner(c).vmSize ?? inner(c).agentVmSize ?? '—') };
  const created = { head: 'Created', cell: (c: Compute) => ago(c.properties.createdOn) };
  if (tab === 'instances')
    return [
      name,
      state,
      size,
      { head: 'Applications', cell: (c) => <Apps c={c} /> },
      { head: 'Activity', cell: (c) => String(inner(c).activity ?? '—') },
      created,
    ];
  if (tab === 'clusters') {
    const nodes = (c: Compute): string =>
      `${String(inner(c).currentNodeCount ?? 0)} (min ${scaleOf(c).min}, max ${scaleOf(c).max})`;
    return [
      name,
      state,
      size,
      { head: 'Priority', cell: (c) => String(inner(c).vmPriority ?? 'Dedicated') },
      { head: 'Nodes', cell: nodes },
      created,
    ];
  }
  if (tab === 'inference') {
    // Nodes start as deployments' replicas need them, up to the agent count (an attached cluster: one).
    const nodes = (c: Compute): string =>
      `${String(inner(c).currentNodeCount ?? 0)} of ${String(inner(c).agentCount ?? 1)}`;
    return [
      name,
      { head: 'Type', cell: (c) => c.properties.computeType },
      state,
      size,
      { head: 'Nodes', cell: nodes },
      created,
    ];
  }
  return [
    name,
    { head: 'Type', cell: (c) => c.properties.computeType },
    state,
    {
      head: 'Address',
      cell: (c) => String(inner(c).address ?? inner(c).loginHost ?? inner(c).partition ?? '—'),
    },
    created,
  ];
}

/** Compute: one tab per kind, each a live list with state badges, refresh and create. */
export function ComputePage(): ReactNode {
  const { query } = useLocation();
  const tab = computeTabs.find((t) => t.key === query.get('tab'))?.key ?? 'instances';
  const list = usePoll(() => api().computes.list(), 3000, []);
  const def = computeTabs.find((t) => t.key === tab) ?? computeTabs[0];
  const rows = (list.data ?? []).filter((c) => tabOf(c) === tab);
  const cols = columns(tab);
  return (
    <section aria-labelledby="compute-title">
      <h1 id="compute-title">Compute</h1>
      <Tabs
        label="Compute kinds"
        tabs={computeTabs.map((t) => ({ key: t.key, label: t.label }))}
        selected={tab}
        onSelect={(k) => navigate(`/computes?tab=${k}`, true)}
      />
      <div role="tabpanel" aria-label={def.label}>
        <div className="toolbar">
          {def.create.map((c) => (
            <button
              key={c.kind}
              type="button"
              className="primary"
              onClick={() => navigate(`/computes/new/${c.kind}`)}
            >
              + {c.label}
            </button>
          ))}
          <button type="button" onClick={list.refresh}>
            Refresh
          </button>
        </div>
        <ErrorBanner error={list.error} />
        {list.loading && !list.data ? (
          <p className="loading">Loading…</p>
        ) : rows.length === 0 ? (
          <div className="empty">
            <p>
              No {def.label.toLowerCase()} in workspace {api().workspace} yet.
            </p>
            {def.create.map((c) => (
              <button
                key={c.kind}
                type="button"
                className="primary"
                onClick={() => navigate(`/computes/new/${c.kind}`)}
              >
                Create: {c.label.toLowerCase()}
              </button>
            ))}
          </div>
        ) : (
          <div className="table-wrap">
            <table aria-label={def.label}>
              <thead>
                <tr>
                  {cols.map((c) => (
                    <th key={c.head} scope="col">
                      {c.head}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.name} data-name={r.name}>
                    {cols.map((c) => (
                      <td key={c.head}>{c.cell(r)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
