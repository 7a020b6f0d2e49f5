// Local-account login. The token goes to sessionStorage (see session.ts), never to the URL.
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { ErrorMessage } from '../components/Status';
import type { Session } from '../session';

export function LoginPage({ onLogin }: { onLogin: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await api.login(email, password));
    } catch (err) {
      setError((err as Error).message);
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
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          <ErrorMessage error={error} />
        </form>
      </main>
    </>
  );
}
