import { ApiError, createApi } from './api.js';
import { showDashboard } from './dashboard.js';
import { askForToken, signOut, takeToken } from './session.js';

const root = document.getElementById('app') as HTMLElement;

/** Signs in (the link's token, this tab's, or the form) and shows the dashboard; a refused token asks again. */
async function start(problem?: string): Promise<void> {
  const token = takeToken() ?? (await askForToken(root, problem));
  let refused = false;
  const api = createApi(token, {
    unauthenticated: () => {
      if (refused) return;
      refused = true;
      api.close();
      signOut();
      void start('The token was refused: sign in again.');
    },
    connection: (connected) => document.body.classList.toggle('offline', !connected),
  });
  try {
    await showDashboard(root, api, () => {
      api.close();
      signOut();
      window.location.reload();
    });
  } catch (error) {
    if (error instanceof ApiError && error.unauthenticated) return;
    root.replaceChildren(Object.assign(document.createElement('p'), { className: 'error', textContent: `The dashboard failed: ${(error as Error).message}` }));
  }
}

void start();
