// Local-account login. The token goes to sessionStorage (see session.ts), never to the URL. The API signed
// in to is the one config.json pins, else the address under "Other organisation" (empty: this site, as when
// the API serves the app itself), which must be one config.json allows (see endpoint.ts): a refused address
// is named in the form and nothing is sent to it.
import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import { ErrorMessage } from '../components/Status';
import { checkApiUrl, initialApiUrl, rememberApiUrl, type ApiPolicy } from '../endpoint';
import type { Session } from '../session';

export function LoginPage({ policy, onLogin }: { policy: ApiPolicy; onLogin: (s: Session) => void }) {
  const pinnedApi = policy.pinned;
  // Fixed at mount, so the section stays as the user left it while they edit the address.
  const [initialApi] = useState(() => initialApiUrl(policy));
  const [apiUrl, setApiUrl] = useState(initialApi.value);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  // A link's refused address is announced at once, before anyone types a password.
  const [error, setError] = useState<string | null>(pinnedApi === null ? initialApi.error : null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    let base = '';
    try {
      base = pinnedApi ?? checkApiUrl(apiUrl, policy);
      const { token, role } = await api.login(base, email, password);
      if (pinnedApi === null) rememberApiUrl(base);
      onLogin({ token, role, api: base });
    } catch (err) {
      // Unreachable (0) or not an API (a static page's 200): on a shared dashboard the address is missing.
      const noApi = err instanceof ApiError && err.status < 400 && base === '' && pinnedApi === null;
      setError(
        `${(err as Error).message}${noApi ? '. Enter your API address under "Other organisation".' : ''}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <header className="top">
        <p className="brand">Support sentiment</p>
      </header>
      <main id="main" className="login">
        <h1>Sign in</h1>
        <form onSubmit={submit} className="card stack">
          <label htmlFor="login-email">Email</label>
          <input
            id="login-email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          {pinnedApi === null && (
            <details open={initialApi.value !== ''}>
              <summary>Other organisation</summary>
              <div className="stack">
                <label htmlFor="login-api">Tenant API address</label>
                <input
                  id="login-api"
                  type="text"
                  inputMode="url"
                  autoComplete="url"
                  spellCheck={false}
                  placeholder="https://acme.sentiment.example.com"
                  aria-describedby="login-api-hint"
                  value={apiUrl}
                  onChange={(e) => setApiUrl(e.target.value)}
                />
                <p id="login-api-hint" className="muted">
                  Your organisation&apos;s API, from your administrator. Leave empty when this site is the
                  API.
                </p>
              </div>
            </details>
          )}
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          <ErrorMessage error={error} />
        </form>
      </main>
    </>
  );
}
