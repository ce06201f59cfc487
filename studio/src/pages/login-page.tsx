import { useState, type FormEvent, type ReactNode } from 'react';
import { api, errorText } from '../lib/api.js';
import { Field } from '../components/ui.js';

/** Sign-in with a user's password: the server sets the HttpOnly session cookie. */
export function LoginPage({ onSignedIn }: { onSignedIn: () => void }): ReactNode {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api().http.request('POST', '/api/auth/login', { user, password });
      onSignedIn();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Hangar studio</h1>
        <Field label="User name">
          {(id) => (
            <input
              id={id}
              name="username"
              autoComplete="username"
              value={user}
              onChange={(e) => setUser(e.target.value)}
              required
              autoFocus
            />
          )}
        </Field>
        <Field
          label="Password"
          hint="The first administrator's password is in HANGAR_HOME/admin-credentials.json on the server."
        >
          {(id, d) => (
            <input
              id={id}
              name="password"
              type="password"
              autoComplete="current-password"
              aria-describedby={d}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
            />
          )}
        </Field>
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
