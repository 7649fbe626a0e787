import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLog, type CapturedLog } from '../support/captured-log.js';
import { expectData } from '../support/expect-graphql.js';
import { freePort } from '../support/free-port.js';
import { newUserId, startTestApp, tokenFor, type TestApp } from '../support/test-app.js';

/** Debian's chromium package (.ci/run installs it); a missing browser fails this test rather than skipping it. */
const CHROMIUM = '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** Set (e.g. by `npm run dashboard:screenshot`) to where the page's screenshot goes: docs/dashboard.png. */
const SCREENSHOT = process.env.DASHBOARD_SCREENSHOT;

const CREATE_THREAD = 'mutation($title: String) { createThread(input: { title: $title }) { id } }';
const SEND = 'mutation($threadId: ID!, $content: String!) { sendMessage(input: { threadId: $threadId, content: $content }) { id seq } }';
const START_RUN = 'mutation($threadId: ID!) { startRun(input: { threadId: $threadId }) { id } }';
const UPDATE_RUN = 'mutation($input: UpdateRunStatusInput!) { updateRunStatus(input: $input) { id status } }';
const START_MESSAGE = 'mutation($threadId: ID!, $runId: ID) { startMessage(input: { threadId: $threadId, runId: $runId }) { id seq } }';
const APPEND = 'mutation($id: ID!, $delta: String!) { appendMessageDelta(input: { id: $id, delta: $delta }) { id } }';
const COMPLETE = 'mutation($id: ID!) { completeMessage(id: $id) { id status } }';
const READ_STATE = 'query($id: ID!) { thread(id: $id) { unreadCount lastReadSeq } }';
const RENAME = 'mutation($id: ID!, $title: String) { updateThread(input: { id: $id, title: $title }) { id } }';
const ARCHIVE = 'mutation($id: ID!) { archiveThread(id: $id) { id } }';
const UNARCHIVE = 'mutation($id: ID!) { unarchiveThread(id: $id) { id } }';
const DELETE = 'mutation($id: ID!) { deleteThread(id: $id) { status } }';

/** `vite build` of dashboard/ into `outDir`, as `npm run build` does into dist/dashboard. */
async function buildDashboard(outDir: string): Promise<void> {
  const vite = path.join(REPO, 'node_modules', 'vite', 'bin', 'vite.js');
  await promisify(execFile)(process.execPath, [vite, 'build', '--config', 'dashboard/vite.config.ts', '--outDir', outDir], { cwd: REPO });
}

/** A page that may reach the server and nothing else. */
async function openPage(browser: Browser, origin: string): Promise<{ page: Page; elsewhere: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const elsewhere: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
    elsewhere.push(url);
    return route.abort();
  });
  return { page, elsewhere };
}

/** The page's reads of the whole thread list (on load, and when the viewer feed cannot resume). */
function countListReads(page: Page): { count: number } {
  const reads = { count: 0 };
  page.on('request', (request) => {
    if (request.postData()?.includes('query DashboardThreads(')) reads.count++;
  });
  return reads;
}

describe('the dashboard at /dashboard in a real browser', () => {
  let outDir: string;
  let app: TestApp;
  let captured: CapturedLog;
  let browser: Browser;
  let origin: string;
  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`).toBe(true);
    outDir = await mkdtemp(path.join(os.tmpdir(), 'threadline-dashboard-'));
    await buildDashboard(outDir);
    captured = captureLog('debug');
    app = await startTestApp({ env: { DASHBOARD_DIR: outDir, ARCHIVE_FLUSH_INTERVAL_MS: '200' }, log: captured.log });
    origin = new URL(app.url).origin;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('signs in from #token=, shows messages and a streaming reply live, unread badges, run status and charts', async () => {
    const user = newUserId('dashboard');
    const gql = <T = any>(query: string, variables?: Record<string, unknown>) => app.gql<T>(user, query, variables).then(expectData<T>);
    const other = (await gql<{ createThread: { id: string } }>(CREATE_THREAD, { title: 'Release notes' })).createThread.id;
    const planning = (await gql<{ createThread: { id: string } }>(CREATE_THREAD, { title: 'Planning the launch' })).createThread.id;
    const runId = (await gql<{ startRun: { id: string } }>(START_RUN, { threadId: planning })).startRun.id;
    await gql(UPDATE_RUN, { input: { id: runId, status: 'IN_PROGRESS', model: 'model-small' } });
    const token = await tokenFor(user);

    const { page, elsewhere } = await openPage(browser, origin);
    await page.goto(`${origin}/dashboard#token=${token}`);
    await page.locator('[data-thread-id]').nth(1).waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="viewer"]').textContent()).toBe(user);
    // The token moved to this tab's storage and out of the address bar.
    expect(await page.evaluate(() => window.location.hash)).toBe('');
    expect(await page.evaluate(() => sessionStorage.getItem('threadline.token'))).toBe(token);
    const threadItem = (id: string) => page.locator(`[data-thread-id="${id}"]`);
    await threadItem(planning).locator('[data-run-status="IN_PROGRESS"]').waitFor();

    await threadItem(planning).locator('button').click();
    await page.locator('.thread-title', { hasText: 'Planning the launch' }).waitFor();
    await gql(SEND, { threadId: planning, content: 'What ships on Friday?' });
    const messages = page.locator('[data-testid="messages"]');
    await messages.locator('[data-seq="1"]', { hasText: 'What ships on Friday?' }).waitFor();

    // The reply streams: each delta shows while the message is still IN_PROGRESS.
    const reply = (await gql<{ startMessage: { id: string; seq: number } }>(START_MESSAGE, { threadId: planning, runId })).startMessage;
    const streaming = messages.locator(`[data-seq="${reply.seq}"]`);
    await streaming.and(page.locator('[data-status="IN_PROGRESS"]')).waitFor();
    await gql(APPEND, { id: reply.id, delta: 'The dashboard, ' });
    await streaming.and(page.locator('[data-status="IN_PROGRESS"]')).filter({ hasText: 'The dashboard,' }).waitFor();
    await gql(APPEND, { id: reply.id, delta: 'with live charts.' });
    await streaming.filter({ hasText: 'The dashboard, with live charts.' }).and(page.locator('[data-status="IN_PROGRESS"]')).waitFor();
    await gql(COMPLETE, { id: reply.id });
    await streaming.and(page.locator('[data-status="COMPLETED"]')).filter({ hasText: 'The dashboard, with live charts.' }).waitFor();
    await gql(UPDATE_RUN, { input: { id: runId, status: 'COMPLETED', usage: { inputTokens: 1200, outputTokens: 340 } } });
    await threadItem(planning).locator('[data-run-status="COMPLETED"]').waitFor();

    // The thread not open, which has no subscription of its own, counts its new messages by the
    // feed's; opening it marks them read, in Postgres too.
    const badge = threadItem(other).locator('.unread');
    expect(await badge.getAttribute('data-unread')).toBe('0');
    await gql(SEND, { threadId: other, content: 'Draft is ready for review' });
    await threadItem(other).locator('.unread[data-unread="1"]').waitFor();
    await gql(SEND, { threadId: other, content: 'Added the screenshot' });
    await threadItem(other).locator('.unread[data-unread="2"]').waitFor();
    expect((await gql(READ_STATE, { id: other })).thread).toEqual({ unreadCount: 2, lastReadSeq: 0 });
    expect(await page.locator('[data-testid="unread-threads"]').textContent()).toBe('1 unread thread');
    await threadItem(other).locator('button').click();
    // A badge of 0 is hidden: attached is what it can be.
    await threadItem(other).locator('.unread[data-unread="0"]').waitFor({ state: 'attached' });
    await messages.locator('[data-seq="2"]', { hasText: 'Added the screenshot' }).waitFor();
    await expect.poll(async () => (await gql(READ_STATE, { id: other })).thread).toEqual({ unreadCount: 0, lastReadSeq: 2 });
    // While open, a new message shows in place and stays read.
    await gql(SEND, { threadId: other, content: 'Looks good, merging.' });
    await messages.locator('[data-seq="3"]', { hasText: 'Looks good, merging.' }).waitFor();
    await expect.poll(async () => (await gql(READ_STATE, { id: other })).thread).toEqual({ unreadCount: 0, lastReadSeq: 3 });
    expect(await badge.getAttribute('data-unread')).toBe('0');

    // A thread created after the page opened joins the list at the top, counts unread, and follows
    // renames, archiving and deletion; a message moves its thread up.
    const order = () => page.locator('[data-thread-id]').evaluateAll((items) => items.map((item) => item.getAttribute('data-thread-id')));
    const later = (await gql<{ createThread: { id: string } }>(CREATE_THREAD, { title: 'Written after the page opened' })).createThread.id;
    await expect.poll(order).toEqual([later, other, planning]);
    // Three threads listed and two subscriptions: the viewer feed, and the open thread's.
    await expect.poll(() => app.realtime.subscriptions).toBe(2);
    await gql(SEND, { threadId: later, content: 'A new thread speaks' });
    await threadItem(later).locator('.unread[data-unread="1"]').waitFor();
    await gql(SEND, { threadId: other, content: 'Merged.' });
    await expect.poll(order).toEqual([other, later, planning]);
    await gql(RENAME, { id: later, title: 'Renamed elsewhere' });
    await threadItem(later).locator('.title', { hasText: 'Renamed elsewhere' }).waitFor();
    expect(await order()).toEqual([later, other, planning]);
    expect(await page.locator('[data-testid="unread-threads"]').textContent()).toBe('1 unread thread');
    await gql(ARCHIVE, { id: later });
    await threadItem(later).waitFor({ state: 'detached' });
    await gql(UNARCHIVE, { id: later });
    await threadItem(later).locator('.unread[data-unread="1"]').waitFor();
    await gql(DELETE, { id: later });
    await threadItem(later).waitFor({ state: 'detached' });
    expect(await page.locator('[data-testid="unread-threads"]').textContent()).toBe('0 unread threads');
    expect(await page.locator('.sidebar h2').textContent()).toBe('Threads (2)');

    // Charts from Query.analytics, once the archive has the messages and the run.
    for (const chart of ['messages-per-day', 'run-durations', 'token-usage']) {
      await page.locator(`[data-chart="${chart}"]:not([data-points="0"])`).waitFor({ timeout: 60_000 });
      const painted = await page.locator(`[data-chart="${chart}"] canvas`).evaluate((canvas: HTMLCanvasElement) => {
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let opaque = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) opaque++;
        return opaque;
      });
      expect(painted, chart).toBeGreaterThan(500);
    }
    expect(await page.locator('.run-summary').textContent()).toContain('1 completed');

    if (SCREENSHOT) {
      // The picture for the README: an unread badge, and a reply caught mid-stream.
      await threadItem(planning).locator('button').click();
      await messages.locator('[data-seq="2"]', { hasText: 'The dashboard, with live charts.' }).waitFor();
      await gql(SEND, { threadId: other, content: 'Release candidate tagged' });
      await threadItem(other).locator('.unread[data-unread="1"]').waitFor();
      await gql(SEND, { threadId: planning, content: 'And the docs?' });
      const next = (await gql<{ startMessage: { id: string; seq: number } }>(START_MESSAGE, { threadId: planning })).startMessage;
      await gql(APPEND, { id: next.id, delta: 'The README gains a Dashboard section, with this ' });
      await messages.locator(`[data-seq="${next.seq}"]`, { hasText: 'with this' }).waitFor();
      await mkdir(path.dirname(path.resolve(REPO, SCREENSHOT)), { recursive: true });
      await page.screenshot({ path: path.resolve(REPO, SCREENSHOT) });
      await gql(COMPLETE, { id: next.id });
    }
    expect(elsewhere).toEqual([]);
    // The fragment never left the browser: no request line, header or log line carries the token.
    expect(JSON.stringify(captured.lines)).not.toContain(token);
    await page.close();
  }, 180_000);

  it('resumes after the server restarts: a reply that completed meanwhile shows complete, a message sent and a thread created meanwhile show', async () => {
    const port = await freePort();
    const env = { DASHBOARD_DIR: outDir, PORT: String(port) };
    let server = await startTestApp({ env });
    const user = newUserId('dashboard-resume');
    // A user with no threads: their page has no cursor to resume from when the socket comes back.
    const newcomer = newUserId('dashboard-resume-empty');
    const gql = <T = any>(query: string, variables?: Record<string, unknown>) => server.gql<T>(user, query, variables).then(expectData<T>);
    try {
      const other = (await gql<{ createThread: { id: string } }>(CREATE_THREAD, { title: 'Other' })).createThread.id;
      const open = (await gql<{ createThread: { id: string } }>(CREATE_THREAD, { title: 'Open' })).createThread.id;
      const serverOrigin = new URL(server.url).origin;
      const { page } = await openPage(browser, serverOrigin);
      const listReads = countListReads(page);
      await page.goto(`${serverOrigin}/dashboard#token=${await tokenFor(user)}`);
      await page.locator('.thread-title', { hasText: 'Open' }).waitFor({ timeout: 30_000 });
      const { page: emptyPage } = await openPage(browser, serverOrigin);
      const emptyListReads = countListReads(emptyPage);
      await emptyPage.goto(`${serverOrigin}/dashboard#token=${await tokenFor(newcomer)}`);
      await emptyPage.locator('.sidebar h2', { hasText: 'Threads (0)' }).waitFor({ timeout: 30_000 });
      const messages = page.locator('[data-testid="messages"]');
      const reply = (await gql<{ startMessage: { id: string; seq: number } }>(START_MESSAGE, { threadId: open })).startMessage;
      await gql(APPEND, { id: reply.id, delta: 'Half a reply' });
      await messages.locator(`[data-seq="${reply.seq}"][data-status="IN_PROGRESS"]`, { hasText: 'Half a reply' }).waitFor();

      // The server goes away with the socket; another comes up on the same port, and the stream goes on there.
      await server.stop();
      await page.locator('body.offline').waitFor({ state: 'attached' });
      await emptyPage.locator('body.offline').waitFor({ state: 'attached' });
      server = await startTestApp({ env });
      await gql(APPEND, { id: reply.id, delta: ', and the rest.' });
      await gql(COMPLETE, { id: reply.id });
      await gql(SEND, { threadId: other, content: 'Sent while the page was away' });
      const meanwhile = (await gql<{ createThread: { id: string } }>(CREATE_THREAD, { title: 'Created meanwhile' })).createThread.id;
      const firstOfNewcomer = expectData<{ createThread: { id: string } }>(await server.gql(newcomer, CREATE_THREAD, { title: 'The first' })).createThread.id;

      await page.locator('body:not(.offline)').waitFor({ state: 'attached', timeout: 30_000 });
      await messages.locator(`[data-seq="${reply.seq}"][data-status="COMPLETED"]`, { hasText: 'Half a reply, and the rest.' }).waitFor();
      await page.locator(`[data-thread-id="${other}"] .unread[data-unread="1"]`).waitFor();
      await page.locator(`[data-thread-id="${meanwhile}"]`).waitFor();
      // From the feed, resumed after its last cursor: the list was not read again.
      expect(listReads.count).toBe(1);
      // Nothing to resume from: the list is read again once the feed is subscribed anew.
      await emptyPage.locator(`[data-thread-id="${firstOfNewcomer}"]`).waitFor({ timeout: 30_000 });
      expect(emptyListReads.count).toBe(2);
      await Promise.all([page.close(), emptyPage.close()]);
    } finally {
      await server.stop();
    }
  }, 120_000);

  it('in development, mints a token for a user name typed into the sign-in form', async () => {
    const { page, elsewhere } = await openPage(browser, origin);
    const user = newUserId('dev-sign-in');
    await page.goto(`${origin}/dashboard`);
    await page.locator('#dev-user-form input[name="user"]').fill(user);
    await page.locator('#dev-user-form button').click();
    await page.locator('[data-testid="viewer"]', { hasText: user }).waitFor({ timeout: 30_000 });
    expect(elsewhere).toEqual([]);
    await page.close();
  }, 60_000);

  it('in production, asks for a token and mints none', async () => {
    const production = await startTestApp({ env: { NODE_ENV: 'production', DASHBOARD_DIR: outDir } });
    try {
      const productionOrigin = new URL(production.url).origin;
      const { page } = await openPage(browser, productionOrigin);
      await page.goto(`${productionOrigin}/dashboard`);
      await page.locator('#token-form').waitFor({ timeout: 30_000 });
      expect(await page.locator('#dev-user-form').count()).toBe(0);
      expect((await fetch(`${productionOrigin}/dashboard/dev-token`, { method: 'POST', body: '{"user":"bob"}' })).status).toBe(404);
      const user = newUserId('prod-sign-in');
      await page.locator('#token-form textarea').fill(await tokenFor(user));
      await page.locator('#token-form button').click();
      await page.locator('[data-testid="viewer"]', { hasText: user }).waitFor({ timeout: 30_000 });
      await page.close();
    } finally {
      await production.stop();
    }
  }, 90_000);
});
