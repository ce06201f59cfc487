import { lazy, Suspense, useCallback, useEffect, useState, type ReactNode } from 'react';
import { api, getJson, isUnauthenticated, onSessionEnded, setWorkspace } from './lib/api.js';
import { Link, match, navigate, useLocation } from './lib/router.js';
import { LoginPage } from './pages/login-page.js';
import { ComputePage } from './pages/compute-page.js';
import { CreateComputePage } from './pages/create-compute-page.js';
import { ComputeDetailsPage } from './pages/compute-details-page.js';
import { JobsPage } from './pages/jobs-page.js';
import { JobPage } from './pages/job-page.js';
import { SubmitJobPage } from './pages/submit-job-page.js';
import { QuotaPage } from './pages/quota-page.js';
import { AccessPage } from './pages/access-page.js';
import { EndpointPage, EndpointsPage } from './pages/endpoints-page.js';
import {
  assetKinds,
  AssetsPage,
  AssetVersionPage,
  AssetVersionsPage,
  type AssetSegment,
} from './pages/assets-page.js';

// xterm.js is most of the bundle's weight and only the terminal page needs it.
const TerminalPage = lazy(() =>
  import('./pages/terminal-page.js').then((m) => ({ default: m.TerminalPage })),
);

/** Who is signed in, as /api/auth/me answers. */
export interface Me {
  principal: { kind: string; objectId: string; name: string };
  roleAssignments: { roleName: string; scope: string }[];
}

function route(path: string): ReactNode {
  if (path === '/' || path === '/computes') return <ComputePage />;
  let p: Record<string, string> | undefined;
  if ((p = match('/computes/new/:kind', path))) return <CreateComputePage kind={p.kind ?? ''} />;
  if ((p = match('/computes/:name/terminal', path))) return <TerminalPage name={p.name ?? ''} />;
  if ((p = match('/computes/:name', path))) return <ComputeDetailsPage name={p.name ?? ''} />;
  if (path === '/jobs') return <JobsPage />;
  if (path === '/jobs/new') return <SubmitJobPage />;
  if ((p = match('/jobs/:name', path))) return <JobPage name={p.name ?? ''} />;
  for (const segment of Object.keys(assetKinds) as AssetSegment[]) {
    if (path === `/${segment}`) return <AssetsPage segment={segment} />;
    if ((p = match(`/${segment}/:name/versions/:version`, path)))
      return <AssetVersionPage segment={segment} name={p.name ?? ''} version={p.version ?? ''} />;
    if ((p = match(`/${segment}/:name`, path)))
      return <AssetVersionsPage segment={segment} name={p.name ?? ''} />;
  }
  if (path === '/online-endpoints') return <EndpointsPage />;
  if ((p = match('/online-endpoints/:name', path))) return <EndpointPage name={p.name ?? ''} />;
  if (path === '/quota') return <QuotaPage />;
  if (path === '/access') return <AccessPage />;
  return (
    <p role="alert">
      No studio page at {path}. <Link to="/computes">Go to Compute</Link>.
    </p>
  );
}

const sections = [
  { to: '/computes', label: 'Compute', prefix: '/computes' },
  { to: '/jobs', label: 'Jobs', prefix: '/jobs' },
  { to: '/online-endpoints', label: 'Endpoints', prefix: '/online-endpoints' },
  ...Object.entries(assetKinds).map(([segment, k]) => ({
    to: `/${segment}`,
    label: k.title,
    prefix: `/${segment}`,
  })),
  { to: '/quota', label: 'Quota', prefix: '/quota' },
  { to: '/access', label: 'Access control', prefix: '/access' },
];

function WorkspacePicker(): ReactNode {
  const [names, setNames] = useState<string[]>([api().workspace]);
  useEffect(() => {
    getJson<{ value: { name: string }[] }>('/api/workspaces').then(
      (r) => setNames(r.value.map((w) => w.name)),
      () => undefined,
    );
  }, []);
  return (
    <label className="workspace">
      Workspace{' '}
      <select
        value={api().workspace}
        onChange={(e) => {
          setWorkspace(e.target.value);
          navigate('/computes');
        }}
      >
        {[...new Set([api().workspace, ...names])].map((n) => (
          <option key={n}>{n}</option>
        ))}
      </select>
    </label>
  );
}

/** The studio: signs in, then a header, the section navigation and the page for the path. */
export function App(): ReactNode {
  const { path } = useLocation();
  const [me, setMe] = useState<Me | null>();
  const check = useCallback(() => {
    getJson<Me>('/api/auth/me').then(setMe, (err: unknown) =>
      setMe(isUnauthenticated(err) ? null : undefined),
    );
  }, []);
  useEffect(check, [check]);
  // A session that expires or is revoked while a page is open leads back to sign-in.
  useEffect(() => onSessionEnded(() => setMe(null)), []);
  if (me === undefined) return <p className="loading">Loading…</p>;
  if (me === null) return <LoginPage onSignedIn={check} />;
  const signOut = async (): Promise<void> => {
    await api()
      .http.request('POST', '/api/auth/logout')
      .catch(() => undefined);
    setMe(null);
  };
  return (
    <div className="shell">
      <header className="top">
        <Link to="/computes" className="brand">
          Hangar studio
        </Link>
        <WorkspacePicker />
        <span className="who">
          Signed in as <strong>{me.principal.name}</strong>
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav aria-label="Sections" className="side">
        <ul>
          {sections.map((s) => (
            <li key={s.to}>
              <Link
                to={s.to}
                aria-current={
                  path.startsWith(s.prefix) || (path === '/' && s.prefix === '/computes') ? 'page' : undefined
                }
              >
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {/* Keyed by workspace: switching remounts every page, so none keeps another workspace's data. */}
      <main key={api().workspace}>
        <Suspense fallback={<p className="loading">Loading…</p>}>{route(path)}</Suspense>
      </main>
    </div>
  );
}
