import type { ReactNode } from 'react';
import { api } from '../lib/api.js';
import { ago, duration } from '../lib/format.js';
import { Link, navigate, useLocation } from '../lib/router.js';
import { usePoll } from '../lib/use-poll.js';
import { Badge, ErrorBanner, Field } from '../components/ui.js';

const statuses = [
  'Queued',
  'Preparing',
  'Starting',
  'Running',
  'Finalizing',
  'CancelRequested',
  'NotResponding',
  'Completed',
  'Failed',
  'Canceled',
];
const prop = (j: { properties: Record<string, unknown> }, k: string): string => String(j.properties[k] ?? '');

/** Jobs of the workspace, newest first, filtered by status, compute, experiment and text (kept in the URL). */
export function JobsPage(): ReactNode {
  const { query } = useLocation();
  const jobs = usePoll(() => api().jobs.list(500), 3000, []);
  const filter = {
    status: query.get('status') ?? '',
    compute: query.get('compute') ?? '',
    experiment: query.get('experiment') ?? '',
    q: query.get('q') ?? '',
  };
  const setFilter = (k: keyof typeof filter, v: string): void => {
    const next = new URLSearchParams(query);
    if (v) next.set(k, v);
    else next.delete(k);
    navigate(`/jobs${next.size ? `?${next.toString()}` : ''}`, true);
  };
  const all = jobs.data ?? [];
  const distinct = (k: string): string[] => [...new Set(all.map((j) => prop(j, k)).filter(Boolean))].sort();
  const rows = all.filter(
    (j) =>
      (!filter.status || prop(j, 'status') === filter.status) &&
      (!filter.compute || prop(j, 'computeId') === filter.compute) &&
      (!filter.experiment || prop(j, 'experimentName') === filter.experiment) &&
      (!filter.q || `${j.name} ${prop(j, 'displayName')}`.toLowerCase().includes(filter.q.toLowerCase())),
  );
  const select = (k: 'status' | 'compute' | 'experiment', label: string, options: string[]): ReactNode => (
    <Field label={label}>
      {(id) => (
        <select id={id} value={filter[k]} onChange={(e) => setFilter(k, e.target.value)}>
          <option value="">All</option>
          {options.map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      )}
    </Field>
  );
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <div className="toolbar">
        <button type="button" className="primary" onClick={() => navigate('/jobs/new')}>
          + Submit job
        </button>
        <button type="button" onClick={jobs.refresh}>
          Refresh
        </button>
      </div>
      <div className="filters row" role="search">
        <Field label="Search by name">
          {(id) => (
            <input id={id} type="search" value={filter.q} onChange={(e) => setFilter('q', e.target.value)} />
          )}
        </Field>
        {select('status', 'Status', statuses)}
        {select('compute', 'Compute', distinct('computeId'))}
        {select('experiment', 'Experiment', distinct('experimentName'))}
      </div>
      <ErrorBanner error={jobs.error} />
      {jobs.loading && !jobs.data ? (
        <p className="loading">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="empty">
          {all.length ? 'No job matches the filters.' : 'No jobs yet: submit one from a YAML file.'}
        </p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Jobs">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Compute</th>
                <th scope="col">Experiment</th>
                <th scope="col">Submitted</th>
                <th scope="col">Duration</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((j) => (
                <tr key={j.name} data-name={j.name}>
                  <td>
                    <Link to={`/jobs/${encodeURIComponent(j.name)}`}>{prop(j, 'displayName') || j.name}</Link>
                    {prop(j, 'displayName') && prop(j, 'displayName') !== j.name ? (
                      <div className="hint">{j.name}</div>
                    ) : null}
                  </td>
                  <td>
                    <Badge state={prop(j, 'status')} />
                    {prop(j, 'statusReason') && <div className="hint">{prop(j, 'statusReason')}</div>}
                  </td>
                  <td>
                    {prop(j, 'computeId') ? (
                      <Link to={`/computes/${encodeURIComponent(prop(j, 'computeId'))}`}>
                        {prop(j, 'computeId')}
                      </Link>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{prop(j, 'experimentName') || '—'}</td>
                  <td>{ago(j.systemData.createdAt)}</td>
                  <td>
                    {j.properties.startTime
                      ? duration(prop(j, 'startTime'), (j.properties.endTime as string | undefined) ?? null)
                      : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
