import { useState } from 'preact/hooks';
import { type ApiError, checkKey } from '../api.ts';
import { ErrorBox } from '../ui.tsx';

/**
 * Asks for the API key and checks it with one authenticated GET before keeping it. The form is a
 * POST (never a GET, whose fields would land in the URL) and is handled in script: nothing is sent
 * but that check, with the key in the Authorization header.
 */
export function LoginPage({ onLogin }: { onLogin: (key: string) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [checking, setChecking] = useState(false);
  return (
    <section class="login">
      <h1>Sign in</h1>
      <p>This read-only console shows the ledger to finance and on-call. Enter an API key (one of LEDGER_API_KEYS).</p>
      <form
        method="post"
        autocomplete="off"
        onSubmit={async (event) => {
          event.preventDefault();
          const trimmed = key.trim();
          if (trimmed === '') return;
          setChecking(true);
          const failure = await checkKey(trimmed);
          setChecking(false);
          if (failure === null) {
            setKey('');
            onLogin(trimmed);
          } else setError(failure);
        }}
      >
        <label>
          API key{' '}
          <input
            type="password"
            name="api-key"
            autocomplete="off"
            spellcheck={false}
            value={key}
            required
            onInput={(event) => setKey(event.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={checking}>
          {checking ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      {error !== null && (
        <div id="login-error">
          {error.code === 'AUTH_REQUIRED' ? <p class="error" role="alert">That key is not accepted by this server.</p> : <ErrorBox error={error} />}
        </div>
      )}
    </section>
  );
}
