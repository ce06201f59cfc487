import { useState, type ReactNode } from 'react';
import { api, errorText } from '../lib/api.js';
import { ago, when } from '../lib/format.js';
import { Link, navigate } from '../lib/router.js';
import { usePoll } from '../lib/use-poll.js';
import { kindOf } from '../../../src/domain/compute/compute-kinds.js';
import { vscodeLink } from '../../../src/domain/instances/vscode-link.js';
import { inner, scaleOf, stateOf, tabOf, type Compute } from '../lib/computes.js';
import { Badge, Confirm, ErrorBanner, Properties } from '../components/ui.js';
import { ComputeEdit } from '../components/compute-edit.js';
import { NodeUtilisation } from '../components/system-metrics.js';

interface NodeRow {
  nodeId: string;
  nodeState: string;
  privateIpAddress: string | null;
  port: number | null;
  connectionString: string | null;
  runId: string | null;
  provider: string;
  lastHeartbeatAt: string | null;
  reason: string | null;
}
interface EventRow {
  id: number;
  at: string;
  reason: string;
  level: string;
  message: string;
}

type Verb = 'start' | 'stop' | 'restart' | 'delete';

function actionsFor(c: Compute): Verb[] {
  if (!kindOf(c.properties).isInstance) return ['delete'];
  const s = stateOf(c);
  return [
    ...(s === 'Stopped' || s === 'CreateFailed' || s === 'SetupFailed' ? ['start' as const] : []),
    ...(s === 'Running' || s === 'JobRunning' || s === 'SetupFailed'
      ? ['stop' as const, 'restart' as const]
      : []),
    'delete',
  ];
}

function Applications({ c }: { c: Compute }): ReactNode {
  const apps = (inner(c).applications ?? []) as { displayName: string; endpointUri: string }[];
  if (!kindOf(c.properties).isInstance) return null;
  return (
    <section aria-labelledby="apps-title">
      <h2 id="apps-title">Applications</h2>
      {apps.length === 0 ? (
        <p>Applications appear while the instance runs.</p>
      ) : (
        <ul className="app-list">
          {apps.map((a) => (
            <li key={a.displayName}>
              {a.displayName === 'terminal' ? (
                <Link to={`/computes/${encodeURIComponent(c.name)}/terminal`}>Terminal</Link>
              ) : (
                <a href={a.endpointUri} target="_blank" rel="noreferrer">
                  {a.displayName === 'jupyter' ? 'Jupyter' : a.displayName}
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Nodes({ rows, compute }: { rows: NodeRow[] | undefined; compute: string }): ReactNode {
  return (
    <section aria-labelledby="nodes-title">
      <h2 id="nodes-title">Nodes</h2>
      {!rows?.length ? (
        <p>No nodes.</p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Nodes">
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">State</th>
                <th scope="col">Address</th>
                <th scope="col">Connection string</th>
                <th scope="col">Job</th>
                <th scope="col">Backend</th>
                <th scope="col">Last heartbeat</th>
                <th scope="col">Utilisation</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((n) => (
                <tr key={n.nodeId}>
                  <td>{n.nodeId}</td>
                  <td>
                    <Badge state={n.nodeState} />
                    {n.reason ? <div className="hint">{n.reason}</div> : null}
                  </td>
                  <td>
                    {n.privateIpAddress ?? '—'}
                    {n.port ? `:${n.port}` : ''}
                  </td>
                  <td>{n.connectionString ? <code>{n.connectionString}</code> : '—'}</td>
                  <td>
                    {n.runId ? <Link to={`/jobs/${encodeURIComponent(n.runId)}`}>{n.runId}</Link> : '—'}
                  </td>
                  <td>{n.provider}</td>
                  <td>{ago(n.lastHeartbeatAt)}</td>
                  <td>
                    <NodeUtilisation compute={compute} nodeId={n.nodeId} />
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

function Events({ rows }: { rows: EventRow[] | undefined }): ReactNode {
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <ol className="events" aria-label="Events">
        {[...(rows ?? [])]
          .reverse()
          .slice(0, 50)
          .map((e) => (
            <li key={e.id} className={`event-${e.level.toLowerCase()}`}>
              <time dateTime={e.at}>{when(e.at)}</time> <strong>{e.reason}</strong> {e.message}
            </li>
          ))}
      </ol>
    </section>
  );
}

function summary(c: Compute): [string, ReactNode][] {
  const p = inner(c);
  const rows: [string, ReactNode][] = [
    ['Type', c.properties.computeType],
    ['State', <Badge key="s" state={stateOf(c)} />],
    ['Provisioning', c.properties.provisioningState],
    ['Location', c.location],
    ['Created', when(c.properties.createdOn)],
  ];
  if (c.properties.description) rows.push(['Description', c.properties.description]);
  if (p.vmSize) rows.push(['Size', String(p.vmSize)]);
  if (kindOf(c.properties).scalable) {
    const s = scaleOf(c);
    rows.push(
      [
        'Nodes',
        `${String(p.currentNodeCount ?? 0)} now, target ${String(p.targetNodeCount ?? 0)} (min ${s.min}, max ${s.max})`,
      ],
      ['Allocation', String(p.allocationState ?? '—')],
      ['Priority', String(p.vmPriority ?? 'Dedicated')],
      ['Idle before scale down', s.idleTime ?? '—'],
    );
  }
  if (kindOf(c.properties).isInstance) {
    rows.push(
      ['Activity', String(p.activity ?? '—')],
      ['Idle shutdown after', String(p.idleTimeBeforeShutdown ?? 'off')],
      ['Next scheduled stop', p.nextScheduledStop ? when(String(p.nextScheduledStop)) : '—'],
      [
        'SSH',
        p.connectionString ? (
          <span key="c">
            <code>{String(p.connectionString)}</code>{' '}
            {vscodeLink(String(p.connectionString)) ? (
              <a href={vscodeLink(String(p.connectionString))}>Open in VS Code</a>
            ) : null}
          </span>
        ) : (
          ((p.sshSettings as { sshPublicAccess?: string } | undefined)?.sshPublicAccess ?? 'Disabled')
        ),
      ],
    );
  }
  if (c.identity?.type && c.identity.type !== 'None')
    rows.push([
      'Identity',
      `${c.identity.type}${c.identity.principalId ? ` (${c.identity.principalId})` : ''}`,
    ]);
  const errors = [
    ...c.properties.provisioningErrors.map((e) => e.error.message),
    ...((p.errors ?? []) as { message?: string }[]).map((e) => e.message ?? ''),
  ].filter(Boolean);
  if (errors.length)
    rows.push([
      'Errors',
      <ul key="e" className="field-errors">
        {errors.map((e) => (
          <li key={e}>{e}</li>
        ))}
      </ul>,
    ]);
  return rows;
}

/** One compute: properties, nodes with connection strings, events, applications, actions and edits. */
export function ComputeDetailsPage({ name }: { name: string }): ReactNode {
  const compute = usePoll(() => api().computes.get(name), 2500, [name]);
  const nodes = usePoll(() => api().computes.nodes(name) as Promise<NodeRow[]>, 2500, [name]);
  const events = usePoll(() => api().computes.events(name) as Promise<EventRow[]>, 2500, [name]);
  const [confirm, setConfirm] = useState<Verb>();
  const [actionError, setActionError] = useState<string>();
  const c = compute.data;
  const attached = c?.properties.isAttachedCompute === true;
  const run = async (verb: Verb): Promise<void> => {
    setConfirm(undefined);
    setActionError(undefined);
    try {
      if (verb === 'delete') {
        await api().computes.delete(name, attached ? 'Detach' : 'Delete');
        navigate(`/computes?tab=${c ? tabOf(c) : 'instances'}`);
        return;
      }
      await api().computes.action(name, verb);
      compute.refresh();
    } catch (err) {
      setActionError(errorText(err));
    }
  };
  const label = (v: Verb): string =>
    v === 'delete' ? (attached ? 'Detach' : 'Delete') : v[0]?.toUpperCase() + v.slice(1);
  if (!c)
    return (
      <section>
        <h1>{name}</h1>
        <ErrorBanner error={compute.error} />
        {!compute.error && <p className="loading">Loading…</p>}
      </section>
    );
  return (
    <section aria-labelledby="details-title">
      <p className="crumbs">
        <Link to={`/computes?tab=${tabOf(c)}`}>Compute</Link> / {name}
      </p>
      <h1 id="details-title">
        {name} <Badge state={stateOf(c)} />
      </h1>
      <div className="toolbar">
        {actionsFor(c).map((v) => (
          <button
            key={v}
            type="button"
            className={v === 'delete' ? 'danger' : undefined}
            onClick={() => setConfirm(v)}
          >
            {label(v)}
          </button>
        ))}
        <button
          type="button"
          onClick={() => {
            compute.refresh();
            nodes.refresh();
            events.refresh();
          }}
        >
          Refresh
        </button>
      </div>
      {actionError && (
        <div className="error" role="alert">
          {actionError}
        </div>
      )}
      <ErrorBanner error={compute.error} />
      <Properties rows={summary(c)} />
      <Applications c={c} />
      <ComputeEdit c={c} onSaved={compute.refresh} />
      <Nodes rows={nodes.data} compute={name} />
      <Events rows={events.data} />
      <Confirm
        open={confirm !== undefined}
        title={`${confirm ? label(confirm) : ''} ${name}?`}
        confirmLabel={confirm ? label(confirm) : 'OK'}
        danger={confirm === 'delete'}
        onCancel={() => setConfirm(undefined)}
        onConfirm={() => confirm && void run(confirm)}
      >
        {confirm === 'delete'
          ? attached
            ? 'Hangar stops using this machine; the machine itself is left as it is.'
            : 'Its nodes are released and the compute is removed.'
          : confirm === 'stop'
            ? 'Running sessions end; the home folder is kept.'
            : confirm === 'restart'
              ? 'The node is replaced; the home folder is kept.'
              : 'The instance starts.'}
      </Confirm>
    </section>
  );
}
