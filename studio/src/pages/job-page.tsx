import { useState, type ReactNode } from 'react';
import { api, errorText } from '../lib/api.js';
import { duration, when } from '../lib/format.js';
import { Link } from '../lib/router.js';
import { usePoll } from '../lib/use-poll.js';
import { Badge, Confirm, ErrorBanner, Properties, Tabs } from '../components/ui.js';
import { LogView } from '../components/log-view.js';
import { logChoices } from '../lib/job-logs.js';
import { MetricChart, type Point } from '../components/metric-chart.js';
import { JobSystemMetrics } from '../components/system-metrics.js';
import { SnapshotBrowser } from '../components/snapshot-browser.js';
import { PipelineGraph } from '../components/pipeline-graph.js';
import { SweepTrials } from '../components/sweep-trials.js';

interface Attempt {
  attempt: number;
  nodeId?: string;
  status: string;
  startTime?: string;
  endTime?: string;
  exitCode?: number;
  reason?: string;
  preempted?: boolean;
}
const terminal = new Set(['Completed', 'Failed', 'Canceled']);
type TabKey = 'overview' | 'logs' | 'metrics' | 'code' | 'outputs';

function Timeline({ p, created }: { p: Record<string, unknown>; created: string }): ReactNode {
  const attempts = (p.attempts ?? []) as Attempt[];
  const steps: { at: string | undefined; label: ReactNode }[] = [
    { at: created, label: 'Submitted (Queued)' },
  ];
  for (const a of attempts) {
    steps.push({
      at: a.startTime,
      label: (
        <>
          Attempt {a.attempt} started on {a.nodeId ?? '—'}
        </>
      ),
    });
    if (a.endTime)
      steps.push({
        at: a.endTime,
        label: (
          <>
            Attempt {a.attempt} ended: <Badge state={a.status} />
            {a.exitCode !== undefined ? ` exit code ${a.exitCode}` : ''}
            {a.reason ? ` — ${a.reason}` : ''}
          </>
        ),
      });
  }
  if (p.endTime)
    steps.push({
      at: String(p.endTime),
      label: (
        <>
          Finished: <Badge state={String(p.status)} />
        </>
      ),
    });
  else
    steps.push({
      at: undefined,
      label: (
        <>
          Now: <Badge state={String(p.status)} />
          {p.statusReason ? ` — ${String(p.statusReason)}` : ''}
        </>
      ),
    });
  return (
    <ol className="timeline" aria-label="Status timeline">
      {steps.map((s, i) => (
        <li key={i}>
          <time dateTime={s.at}>{s.at ? when(s.at) : ''}</time> {s.label}
        </li>
      ))}
    </ol>
  );
}

function Metrics({ name, live }: { name: string; live: boolean }): ReactNode {
  const data = usePoll(
    async () => {
      const latest = await api().jobs.metrics(name);
      const histories = await Promise.all(
        latest.metrics.map(
          async (m) =>
            [m.key, (await api().jobs.metricHistory(name, m.key)).value as unknown as Point[]] as const,
        ),
      );
      return { histories, params: latest.params, tags: latest.tags };
    },
    live ? 2000 : 0,
    [name, live],
  );
  const d = data.data;
  return (
    <>
      <ErrorBanner error={data.error} />
      <div className="charts">
        {d?.histories.length ? (
          d.histories.map(([k, pts]) => <MetricChart key={k} name={k} points={pts} />)
        ) : (
          <p>No metrics logged{live ? ' yet' : ''}.</p>
        )}
      </div>
      <h2>Utilisation</h2>
      <JobSystemMetrics name={name} live={live} />
      <h2>Parameters</h2>
      <KeyValues values={d?.params ?? {}} label="Parameters" />
      <h2>Tags</h2>
      <KeyValues values={d?.tags ?? {}} label="Tags" />
    </>
  );
}

function KeyValues({ values, label }: { values: Record<string, unknown>; label: string }): ReactNode {
  const entries = Object.entries(values);
  if (!entries.length) return <p>None.</p>;
  return (
    <table aria-label={label}>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{typeof v === 'string' ? v : JSON.stringify(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Overview({ p, created }: { p: Record<string, unknown>; created: string }): ReactNode {
  const attempts = (p.attempts ?? []) as Attempt[];
  return (
    <>
      <Properties
        rows={[
          ['Status', <Badge key="s" state={String(p.status)} />],
          ['Reason', String(p.statusReason ?? '')],
          [
            'Compute',
            p.computeId ? (
              <Link key="c" to={`/computes/${encodeURIComponent(String(p.computeId))}`}>
                {String(p.computeId)}
              </Link>
            ) : (
              '—'
            ),
          ],
          ['Experiment', String(p.experimentName ?? '')],
          ['Command', <code key="cmd">{String(p.renderedCommand ?? p.command ?? '')}</code>],
          ['Environment', String(p.environmentId ?? '')],
          ['Submitted', when(created)],
          [
            'Duration',
            p.startTime ? duration(String(p.startTime), (p.endTime as string | undefined) ?? null) : '—',
          ],
          ['Exit code', p.exitCode === undefined ? '' : String(p.exitCode)],
          ['Error', p.error ? JSON.stringify(p.error) : ''],
          ['Inputs', Object.keys(p.inputs ?? {}).length ? JSON.stringify(p.inputs) : ''],
        ]}
      />
      <h2>Status timeline</h2>
      <Timeline p={p} created={created} />
      <h2>Attempts</h2>
      {attempts.length === 0 ? (
        <p>Not started yet.</p>
      ) : (
        <table aria-label="Attempts">
          <thead>
            <tr>
              <th scope="col">Attempt</th>
              <th scope="col">Node</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Ended</th>
              <th scope="col">Exit code</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a) => (
              <tr key={a.attempt}>
                <td>{a.attempt}</td>
                <td>{a.nodeId ?? '—'}</td>
                <td>
                  <Badge state={a.status} />
                </td>
                <td>{when(a.startTime)}</td>
                <td>{when(a.endTime)}</td>
                <td>{a.exitCode ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** One job: overview with timeline and attempts, live logs, metric charts, code and outputs. */
export function JobPage({ name }: { name: string }): ReactNode {
  const job = usePoll(() => api().jobs.get(name), 2000, [name]);
  const [tab, setTab] = useState<TabKey>('overview');
  const [file, setFile] = useState('user_logs/std_log.txt');
  const [confirm, setConfirm] = useState(false);
  const [cancelError, setCancelError] = useState<string>();
  const j = job.data;
  if (!j)
    return (
      <section>
        <h1>{name}</h1>
        <ErrorBanner error={job.error} />
        {!job.error && <p className="loading">Loading…</p>}
      </section>
    );
  const p = j.properties;
  const live = !terminal.has(String(p.status));
  const cancel = async (): Promise<void> => {
    setConfirm(false);
    try {
      await api().jobs.cancel(name);
      job.refresh();
    } catch (err) {
      setCancelError(errorText(err));
    }
  };
  return (
    <section aria-labelledby="job-title">
      <p className="crumbs">
        <Link to="/jobs">Jobs</Link> / {name}
      </p>
      <h1 id="job-title">
        {String(p.displayName ?? name)} <Badge state={String(p.status)} />
      </h1>
      <div className="toolbar">
        {live && (
          <button type="button" className="danger" onClick={() => setConfirm(true)}>
            Cancel job
          </button>
        )}
        <button type="button" onClick={job.refresh}>
          Refresh
        </button>
      </div>
      {cancelError && (
        <div className="error" role="alert">
          {cancelError}
        </div>
      )}
      <Tabs
        label="Job views"
        selected={tab}
        onSelect={setTab}
        tabs={[
          { key: 'overview', label: 'Overview' },
          { key: 'logs', label: 'Logs' },
          { key: 'metrics', label: 'Metrics' },
          { key: 'code', label: 'Code' },
          { key: 'outputs', label: 'Outputs' },
        ]}
      />
      <div role="tabpanel" aria-label={tab}>
        {tab === 'overview' && <Overview p={p} created={j.systemData.createdAt} />}
        {tab === 'overview' && p.pipeline !== undefined && <PipelineGraph pipeline={p.pipeline} />}
        {tab === 'overview' && p.sweep !== undefined && <SweepTrials job={name} sweep={p.sweep} />}
        {tab === 'logs' && (
          <>
            <label>
              Log file{' '}
              <select value={file} onChange={(e) => setFile(e.target.value)}>
                {logChoices(p.logFiles).map((c) => (
                  <option key={c.file} value={c.file}>
                    {c.label}
                  </option>
                ))}
              </select>
            </label>
            <LogView job={name} file={file} />
          </>
        )}
        {tab === 'metrics' && <Metrics name={name} live={live} />}
        {tab === 'code' && <SnapshotBrowser id={p.codeId as string | undefined} label="Code" />}
        {tab === 'outputs' && (
          <SnapshotBrowser id={p.outputsSnapshotId as string | undefined} label="Outputs" />
        )}
      </div>
      <Confirm
        open={confirm}
        title={`Cancel ${name}?`}
        confirmLabel="Cancel job"
        danger
        onCancel={() => setConfirm(false)}
        onConfirm={() => void cancel()}
      >
        A running job gets SIGTERM, then SIGKILL after its grace period.
      </Confirm>
    </section>
  );
}
