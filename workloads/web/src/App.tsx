// Session handling and the route table. Without a session every route shows the login page; a 401 from
// any call clears the session and returns here.
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { api, setUnauthorizedHandler } from './api';
import { Layout } from './components/Layout';
import { Loading } from './components/Status';
import { isAllowedApi, type ApiPolicy } from './endpoint';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { navigate, useRoute, type Route } from './router';
import { clearSession, getSession, saveSession, type Session } from './session';

// Pages load on first visit: the charting library is most of the bundle and the login page needs none of it.
const OverviewPage = lazy(() => import('./pages/OverviewPage').then((m) => ({ default: m.OverviewPage })));
const TicketsPage = lazy(() => import('./pages/TicketsPage').then((m) => ({ default: m.TicketsPage })));
const TicketDetailPage = lazy(() =>
  import('./pages/TicketDetailPage').then((m) => ({ default: m.TicketDetailPage })),
);
const SearchPage = lazy(() => import('./pages/SearchPage').then((m) => ({ default: m.SearchPage })));
const AskPage = lazy(() => import('./pages/AskPage').then((m) => ({ default: m.AskPage })));
const UploadPage = lazy(() => import('./pages/UploadPage').then((m) => ({ default: m.UploadPage })));
const JobsPage = lazy(() => import('./pages/JobsPage').then((m) => ({ default: m.JobsPage })));

// Pages with URL state are keyed by it, so their forms reset when the URL changes (back button, links).
function page(route: Route, session: Session) {
  const { path, query } = route;
  const key = query.toString();
  if (path === '/') return <OverviewPage key={key} query={query} />;
  if (path === '/tickets') return <TicketsPage key={key} query={query} />;
  if (path.startsWith('/tickets/'))
    return <TicketDetailPage id={decodeURIComponent(path.slice('/tickets/'.length))} />;
  if (path === '/search') return <SearchPage key={key} query={query} />;
  if (path === '/ask') return <AskPage />;
  if (path === '/upload') return <UploadPage role={session.role} />;
  if (path === '/jobs') return <JobsPage />;
  return <NotFoundPage />;
}

/** `policy`: the APIs config.json allows, and the one it pins, if any (see endpoint.ts). */
export function App({ policy }: { policy: ApiPolicy }) {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(() =>
    getSession((api) => isAllowedApi(api, policy)),
  );

  const logout = useCallback(() => {
    clearSession();
    setSession(null);
    navigate('/login');
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setSession(null);
      navigate('/login');
    });
  }, []);

  // A stored token may have expired or had its role changed since it was saved.
  useEffect(() => {
    if (!session) return;
    api.me().then(
      (me) => {
        if (me.role !== session.role) {
          const next = { ...session, role: me.role };
          saveSession(next);
          setSession(next);
        }
      },
      () => {},
    );
  }, [session]);

  if (!session || route.path === '/login') {
    return (
      <LoginPage
        policy={policy}
        onLogin={(s) => {
          saveSession(s);
          setSession(s);
          navigate('/');
        }}
      />
    );
  }
  return (
    <Layout path={route.path} role={session.role} onLogout={logout}>
      <Suspense fallback={<Loading loading what="the page" />}>{page(route, session)}</Suspense>
    </Layout>
  );
}
