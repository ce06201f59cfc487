import { useState, type ReactNode } from 'react';
import type { EndpointResource, ScoreAnswer } from '../../../src/sdk/index.js';
import { Badge, ErrorBanner, Properties, Tabs } from '../components/ui.js';
import { api, errorText } from '../lib/api.js';
import { when } from '../lib/format.js';
import { Link } from '../lib/router.js';
import { usePoll, type Polled } from '../lib/use-poll.js';

const enc = encodeURIComponent;
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const weightsOf = (v: unknown): Record<string, number> => (v ?? {}) as Record<string, number>;

/** Traffic weights as one line: `blue 90% · green 10%`. */
function trafficText(v: unknown): string {
  const parts = Object.entries(weightsOf(v)).map(([d, w]) => `${d} ${w}%`);
  return parts.length ? parts.join(' · ') : 'none';
}

/** The workspace's online endpoints: state, scoring URI and traffic. */
export function EndpointsPage(): ReactNode {
  const list = usePoll(() => api().endpoints.list(), 5000, []);
  const rows = list.data ?? [];
  return (
    <section aria-labelledby="endpoints-title">
      <h1 id="endpoints-title">Online endpoints</h1>
      <ErrorBanner error={list.error} />
      {!list.loading && rows.length === 0 ? (
        <p>
          No online endpoint yet: create one with <code>hangar online-endpoint create -f endpoint.yml</code>.
        </p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Online endpoints">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Auth</th>
                <th scope="col">Scoring URI</th>
                <th scope="col">Traffic</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.name}>
                  <td>
                    <Link to={`/online-endpoints/${enc(e.name)}`}>{e.name}</Link>
                  </td>
                  <td>
                    <Badge state={str(e.properties.provisioningState)} />
                  </td>
                  <td>{str(e.properties.authMode)}</td>
                  <td>
                    <code>{str(e.properties.scoringUri)}</code>
                  </td>
                  <td>{trafficText(e.properties.traffic)}</td>
                  <td>{when((e.systemData as { createdAt?: string } | undefined)?.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

interface DeploymentExtras {
  reason?: string;
  readyReplicas?: number;
  metrics?: Record<string, number>;
  servingGeneration?: number;
  desiredGeneration?: number;
}
const extrasOf = (d: EndpointResource): DeploymentExtras => d.hangar ?? {};

function Deployments({
  list,
  traffic,
  mirror,
}: {
  list: Polled<EndpointResource[]>;
  traffic: unknown;
  mirror: unknown;
}): ReactNode {
  const rows = list.data ?? [];
  const metricKeys = [...new Set(rows.flatMap((d) => Object.keys(extrasOf(d).metrics ?? {})))];
  return (
    <>
      <ErrorBanner error={list.error} />
      {!list.loading && rows.length === 0 ? (
        <p>
          No deployment yet: add one with <code>hangar online-deployment create -f deployment.yml</code>.
        </p>
      ) : (
        <div className="table-wrap">
          <table aria-label="Deployments">
            <thead>
              <tr>
                <th scope="col">Deployment</th>
                <th scope="col">State</th>
                <th scope="col">Replicas (ready / wanted)</th>
                <th scope="col">Traffic</th>
                <th scope="col">Mirror</th>
                {metricKeys.map((k) => (
                  <th key={k} scope="col">
                    {k}
                  </th>
                ))}
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => {
                const x = extrasOf(d);
                return (
                  <tr key={d.name} data-deployment={d.name}>
                    <td>{d.name}</td>
                    <td>
                      <Badge state={str(d.properties.provisioningState)} />
                    </td>
                    <td>
                      {x.readyReplicas ?? 0} / {str((d.sku as { capacity?: number } | undefined)?.capacity)}
                    </td>
                    <td>{weightsOf(traffic)[d.name] ?? 0}%</td>
                    <td>{weightsOf(mirror)[d.name] ?? 0}%</td>
                    {metricKeys.map((k) => (
                      <td key={k}>{str(x.metrics?.[k] ?? '—')}</td>
                    ))}
                    <td>{x.reason ?? ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Sends a body to the endpoint's scoring route with its own key (or token), as a client would. */
function TestPanel({
  endpoint,
  authMode,
  deployments,
}: {
  endpoint: string;
  authMode: string;
  deployments: string[];
}): ReactNode {
  const [body, setBody] = useState('{"data": [[1, 2, 3, 4]]}');
  const [deployment, setDeployment] = useState('');
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<ScoreAnswer>();
  const [error, setError] = useState<string>();
  const send = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setAnswer(undefined);
    try {
      // The scoring route takes the endpoint's credential, never the user's session.
      const credential =
        authMode === 'AMLToken'
          ? str((await api().endpoints.token(endpoint)).accessToken)
          : (await api().endpoints.listKeys(endpoint)).primaryKey;
      setAnswer(await api().endpoints.score(endpoint, body, credential, deployment ? { deployment } : {}));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="score-test"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <label>
        Request body (JSON)
        <textarea
          rows={8}
          cols={80}
          value={body}
          onChange={(e) => setBody(e.target.value)}
          spellCheck={false}
        />
      </label>
      <label>
        Deployment{' '}
        <select value={deployment} onChange={(e) => setDeployment(e.target.value)}>
          <option value="">By traffic</option>
          {deployments.map((d) => (
            <option key={d}>{d}</option>
          ))}
        </select>
      </label>
      <div className="toolbar">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Sending…' : 'Test'}
        </button>
      </div>
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
      {answer && (
        <output aria-label="Scoring answer" data-status={answer.status}>
          <p>
            Status <strong>{answer.status}</strong>
            {answer.headers['azureml-model-deployment']
              ? ` from deployment ${answer.headers['azureml-model-deployment']}`
              : ''}
          </p>
          <pre>{answer.body}</pre>
        </output>
      )}
    </form>
  );
}

type EndpointTab = 'details' | 'test';

/** One endpoint: its settings and traffic, its deployments (state, replicas, metrics) and a test call. */
export function EndpointPage({ name }: { name: string }): ReactNode {
  const ep = usePoll(() => api().endpoints.get(name), 5000, [name]);
  const deps = usePoll(() => api().endpoints.deployments(name), 3000, [name]);
  const [tab, setTab] = useState<EndpointTab>('details');
  const e = ep.data;
  if (!e)
    return (
      <section>
        <h1>{name}</h1>
        <ErrorBanner error={ep.error} />
        {!ep.error && <p className="loading">Loading…</p>}
      </section>
    );
  const p = e.properties;
  return (
    <section aria-labelledby="endpoint-title">
      <p className="crumbs">
        <Link to="/online-endpoints">Online endpoints</Link> / {name}
      </p>
      <h1 id="endpoint-title">
        {name} <Badge state={str(p.provisioningState)} />
      </h1>
      <Tabs
        label="Endpoint views"
        selected={tab}
        onSelect={setTab}
        tabs={[
          { key: 'details', label: 'Details' },
          { key: 'test', label: 'Test' },
        ]}
      />
      <div role="tabpanel" aria-label={tab}>
        {tab === 'details' && (
          <>
            <Properties
              rows={[
                ['State', <Badge key="s" state={str(p.provisioningState)} />],
                ['Scoring URI', <code key="u">{str(p.scoringUri)}</code>],
                ['Swagger URI', <code key="w">{str(p.swaggerUri)}</code>],
                ['Auth mode', str(p.authMode)],
                ['Traffic', trafficText(p.traffic)],
                ['Mirror traffic', trafficText(p.mirrorTraffic)],
                ['Description', str(p.description)],
                ['Created', when((e.systemData as { createdAt?: string } | undefined)?.createdAt)],
              ]}
            />
            <h2>Deployments</h2>
            <Deployments list={deps} traffic={p.traffic} mirror={p.mirrorTraffic} />
          </>
        )}
        {tab === 'test' && (
          <TestPanel
            endpoint={name}
            authMode={str(p.authMode)}
            deployments={(deps.data ?? []).map((d) => d.name)}
          />
        )}
      </div>
    </section>
  );
}
