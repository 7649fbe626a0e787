import { element } from './dom.js';

/** Where the token is kept: this tab only, gone when it closes. */
const STORAGE_KEY = 'threadline.token';
const DEV_TOKEN_URL = '/dashboard/dev-token';

/**
 * The token this tab signs in with: one in the fragment (`#token=<JWT>`) wins and is moved to
 * sessionStorage at once, and the fragment cleared so it stays out of history, bookmarks and
 * screenshots. Browsers never send a fragment, so it reached no server log either.
 */
export function takeToken(): string | null {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const fromLink = fragment.get('token');
  if (fromLink) {
    sessionStorage.setItem(STORAGE_KEY, fromLink);
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(STORAGE_KEY);
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/**
 * The sign-in form: a token always; in development (the server says it mints tokens) a user name
 * too, for which the server mints one, as GraphiQL's `?user=` does. Resolves once signed in.
 */
export async function askForToken(root: HTMLElement, problem?: string): Promise<string> {
  const mints = await fetch(DEV_TOKEN_URL).then((response) => response.ok, () => false);
  return new Promise((resolve) => {
    const error = element('p', { className: 'error', role: 'alert' }, problem ?? '');
    const signIn = (token: string) => {
      sessionStorage.setItem(STORAGE_KEY, token);
      resolve(token);
    };
    const tokenInput = element('textarea', { name: 'token', rows: 4, required: true, placeholder: 'eyJhbGciOi…' });
    const tokenForm = element('form', { className: 'sign-in', id: 'token-form' },
      element('label', {}, 'Bearer token (JWT)', tokenInput),
      element('button', { type: 'submit' }, 'Sign in'),
    );
    tokenForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const token = tokenInput.value.trim().replace(/^Bearer\s+/i, '');
      if (token) signIn(token);
    });
    const forms: HTMLElement[] = [tokenForm];
    if (mints) {
      const userInput = element('input', { name: 'user', required: true, pattern: '[\\w.@\\-]{1,200}', placeholder: 'alice' });
      const userForm = element('form', { className: 'sign-in', id: 'dev-user-form' },
        element('label', {}, 'Development: sign in as a user name', userInput),
        element('button', { type: 'submit' }, 'Mint a token'),
      );
      userForm.addEventListener('submit', (event) => {
        event.preventDefault();
        void mintToken(userInput.value.trim()).then(signIn, (failure: Error) => (error.textContent = failure.message));
      });
      forms.push(userForm);
    }
    root.replaceChildren(element('main', { className: 'signed-out' }, element('h1', {}, 'Threadline'), error, ...forms));
  });
}

async function mintToken(user: string): Promise<string> {
  const response = await fetch(DEV_TOKEN_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
  const body = (await response.json()) as { token?: string; error?: string };
  if (!response.ok || !body.token) throw new Error(body.error ?? `The server answered ${response.status}`);
  return body.token;
}
