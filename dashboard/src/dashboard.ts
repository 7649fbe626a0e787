import type { Api } from './api.js';
import { chartRange } from './chart-range.js';
import { AnalyticsCharts } from './charts.js';
import { element } from './dom.js';
import { DashboardAnalyticsDocument, DashboardMarkThreadReadDocument, DashboardThreadMessagesDocument, DashboardThreadsDocument } from './gql/graphql.js';
import { OpenThread } from './open-thread.js';
import { ThreadList } from './thread-list.js';
import { ViewerFeed, type ViewerEvent } from './viewer-feed.js';

/** The archive lags the live data by a second or more: charts are re-read this long after activity. */
const ANALYTICS_SETTLE_MS = 2_500;
/** And every so often regardless, to catch up with what the archive took longer over. */
const ANALYTICS_POLL_MS = 10_000;
/** Threads read into the list; those active later join it from the viewer feed. */
const LISTED_THREADS = 50;

/** Reads the viewer's threads and shows the signed-in page; `signOut` is the header's button. */
export async function showDashboard(root: HTMLElement, api: Api, signOut: () => void): Promise<void> {
  const page = new DashboardPage(api, signOut);
  await page.load();
  root.replaceChildren(...page.nodes);
  await page.start();
}

/**
 * The signed-in page: the thread list, which follows the viewer feed (one viewerEvents
 * subscription); the open thread, whose messages and streaming replies come from its own
 * threadEvents subscription; and the analytics charts.
 */
class DashboardPage {
  readonly #viewer = element('span', { className: 'viewer', 'data-testid': 'viewer' });
  readonly #status = element('span', { className: 'connection' });
  readonly #unreadSummary = element('span', { className: 'unread-summary', 'data-testid': 'unread-threads' });
  readonly #pane = element('div', { className: 'thread-pane' }, element('p', { className: 'hint' }, 'Open a thread to read it.'));
  readonly #charts = new AnalyticsCharts();
  readonly #list = new ThreadList((threadId) => void this.openThread(threadId));
  readonly #feed: ViewerFeed;
  readonly nodes: HTMLElement[];
  #open: OpenThread | null = null;
  /** The last thread asked for: a slower load of one opened before must not replace it. */
  #opening: string | null = null;
  #settle: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly api: Api, signOut: () => void) {
    this.#feed = new ViewerFeed(api, {
      reload: () => this.#readThreads(),
      event: (event) => this.#onFeedEvent(event),
      error: (error) => this.#showProblem(`Live updates stopped: ${error.message}`),
    });
    const signOutButton = element('button', { type: 'button', className: 'sign-out' }, 'Sign out');
    signOutButton.addEventListener('click', signOut);
    this.nodes = [
      element('header', { className: 'top' },
        element('h1', {}, 'Threadline'),
        this.#viewer, this.#unreadSummary, this.#status, signOutButton,
      ),
      element('main', { className: 'layout' },
        element('nav', { className: 'sidebar' }, this.#list.heading, this.#list.node),
        this.#pane,
        element('aside', { className: 'analytics' }, element('h2', {}, 'Analytics'), this.#charts.node),
      ),
    ];
  }

  /** Subscribes to the viewer feed and reads the list it then keeps. */
  load(): Promise<void> {
    return this.#feed.start();
  }

  /** Draws the charts, keeps them fresh, and opens the thread with the newest activity. */
  async start(): Promise<void> {
    await this.#refreshCharts();
    setInterval(() => void this.#refreshCharts(), ANALYTICS_POLL_MS);
    const newest = this.#list.newest;
    if (newest) await this.openThread(newest);
  }

  async openThread(threadId: string): Promise<void> {
    this.#opening = threadId;
    this.#list.select(threadId);
    const { thread } = await this.api.request(DashboardThreadMessagesDocument, { id: threadId, last: 100 });
    if (this.#opening !== threadId) return;
    if (!thread) return this.#threadGone(threadId);
    this.#open?.close();
    this.#open = new OpenThread(this.api, threadId, thread.messages.edges.map((edge) => edge.node), {
      added: (seq) => void this.#markRead(threadId, seq),
      deleted: () => this.#threadGone(threadId),
      error: (error) => this.#showProblem(`Live updates of this thread stopped: ${error.message}`),
    });
    this.#pane.replaceChildren(element('h2', { className: 'thread-title' }, thread.title ?? 'Untitled thread'), this.#open.node);
    await this.#markRead(threadId, this.#open.latestSeq);
  }

  async #readThreads(): Promise<void> {
    const { viewer, threads } = await this.api.request(DashboardThreadsDocument, { first: LISTED_THREADS });
    this.#viewer.textContent = viewer.id;
    this.#list.replace(threads.edges.map((edge) => edge.node));
    this.#showUnread();
  }

  #onFeedEvent(event: ViewerEvent): void {
    this.#list.apply(event);
    if (event.__typename === 'ViewerThreadDeleted') this.#threadGone(event.threadId);
    this.#showUnread();
    this.#refreshChartsSoon();
  }

  async #markRead(threadId: string, seq: number): Promise<void> {
    const { markThreadRead } = await this.api.request(DashboardMarkThreadReadDocument, { input: { threadId, seq } });
    this.#list.read(threadId, markThreadRead.lastReadSeq, markThreadRead.unreadCount);
    this.#showUnread();
  }

  /** Deleted: told by the feed, the open thread's subscription, or a read that found nothing. */
  #threadGone(threadId: string): void {
    this.#list.remove(threadId);
    if (this.#open?.threadId !== threadId) return;
    this.#open.close();
    this.#open = null;
    this.#pane.replaceChildren(element('p', { className: 'hint' }, 'This thread was deleted.'));
  }

  #showUnread(): void {
    const count = this.#list.unreadThreads;
    this.#unreadSummary.textContent = `${count} unread thread${count === 1 ? '' : 's'}`;
  }

  #showProblem(message: string): void {
    this.#status.textContent = message;
  }

  #refreshChartsSoon(): void {
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => void this.#refreshCharts(), ANALYTICS_SETTLE_MS);
  }

  async #refreshCharts(): Promise<void> {
    const { from, to, days } = chartRange(new Date());
    try {
      const { analytics } = await this.api.request(DashboardAnalyticsDocument, { from, to });
      this.#charts.show(analytics, days);
    } catch (error) {
      this.#showProblem(`Analytics unavailable: ${(error as Error).message}`);
    }
  }
}
