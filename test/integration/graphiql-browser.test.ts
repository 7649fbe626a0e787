import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

/** Debian's chromium package (.ci/run installs it); a missing browser fails this test rather than skipping it. */
const CHROMIUM = '/usr/bin/chromium';

describe('GraphiQL at /graphql in a real browser', () => {
  let app: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
    app = await startTestApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('renders and runs a query with no network beyond the server, as the user named in ?user=', async () => {
    const page = await browser.newPage();
    const origin = new URL(app.url).origin;
    const elsewhere: string[] = [];
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      elsewhere.push(url);
      return route.abort();
    });
    const user = newUserId('playground');
    await page.goto(`${app.url}?user=${encodeURIComponent(user)}`);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    await page.locator('.graphiql-execute-button').first().click();
    await page.waitForFunction((id) => document.querySelector('.graphiql-response')?.textContent?.includes(id), user, { timeout: 30_000 });

    const response = await page.locator('.graphiql-response').textContent();
    // The editor renders its text in lines of its own, so the answer is read as text, not parsed.
    expect(response).toContain('"viewer"');
    expect(response).toContain(`"${user}"`);
    expect(response).not.toContain('"errors"');
    expect(await page.locator('body').innerText()).not.toContain('Loading');
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 90_000);

  it('subscribes over graphql-ws and mints no token for a name it cannot sign for', async () => {
    const html = async (query: string) =>
      (await fetch(`${app.url}${query}`, { headers: { accept: 'text/html' } })).text();
    const page = await html('?user=bob');
    expect(page).toContain('"subscriptionsProtocol":"WS"');
    expect(page).toContain('Authorization');
    // The header belongs to this page load's user: GraphiQL must not carry it to the next one.
    expect(page).toContain('"shouldPersistHeaders":false');
    // Not a plausible user name: the page renders without a prefilled token.
    expect(await html(`?user=${encodeURIComponent('x"><script>')}`)).not.toContain('Bearer');
  });

  it('mints no token in production, whoever asks', async () => {
    const production = await startTestApp({ env: { NODE_ENV: 'production' } });
    try {
      const page = await (await fetch(`${production.url}?user=bob`, { headers: { accept: 'text/html' } })).text();
      expect(page).toContain('graphiql');
      expect(page).not.toContain('Bearer');
    } finally {
      await production.stop();
    }
  });
});
