import type { Api } from './api.js';
import { chartRange } from './chart-range.js';
import { AnalyticsCharts } from './charts.js';
import { Conversation } from './conversation.js';
import { element } from './dom.js';
import {
  DashboardAnalyticsDocument,
  DashboardMarkThreadReadDocument,
  DashboardThreadEventsDocument,
  DashboardThreadMessagesDocument,
  DashboardThreadsDocument,
  type DashboardThreadEventsSubscription,
  type DashboardThreadsQuery,
} from './gql/graphql.js';
import { ThreadList } from './thread-list.js';

/** The archive lags the live data by a second or more: charts are re-read this long after activity. */
const ANALYTICS_SETTLE_MS = 2_500;
/** And every so often regardless, to catch up with what the archive took longer over. */
const ANALYTICS_POLL_MS = 10_000;
/** Threads listed (and subscribed to: each is one of the user's WS_MAX_SUBSCRIPTIONS_PER_USER). */
const LISTED_THREADS = 50;

type ThreadEvent = DashboardThreadEventsSubscription['threadEvents'];

/** Reads the viewer's threads and shows the signed-in page; `signOut` is the header's button. */
export async function showDashboard(root: HTMLElement, api: Api, signOut: () => void): Promise<void> {
  const listed = await api.request(DashboardThreadsDocument, { first: LISTED_THREADS });
  const page = new DashboardPage(api, listed, signOut);
  root.replaceChildren(...page.nodes);
  page.subscribe();
  await page.start();
}

/**
 * The signed-in page: the thread list (one threadEvents subscription per listed thread, from the
 * seq the list was read at, and after a reconnect from where #resumeAfter says), the open
 * thread's messages with replies streaming in, and the analytics charts.
 */
class DashboardPage {
  readonly #status = element('span', { className: 'connection' });
  readonly #unreadSummary = element('span', { className: 'unread-summary', 'data-testid': 'unread-threads' });
  readonly #pane = element('div', { className: 'thread-pane' }, element('p', { className: 'hint' }, 'Open a thread to read it.'));
  readonly #charts = new AnalyticsCharts();
  readonly #list: ThreadList;
  readonly nodes: HTMLElement[];
  #open: Conversation | null = null;
  /** The last thread asked for: a slower load of one opened before must not replace it. */
  #opening: string | null = null;
  #settle: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly api: Api, { viewer, threads }: DashboardThreadsQuery, signOut: () => void) {
    this.#list = new ThreadList(threads.edges.map((edge) => edge.node), (threadId) => void this.openThread(threadId));
    const signOutButton = element('button', { type: 'button', className: 'sign-out' }, 'Sign out');
    signOutButton.addEventListener('click', signOut);
    this.nodes = [
      element('header', { className: 'top' },
        element('h1', {}, 'Threadline'),
        element('span', { className: 'viewer', 'data-testid': 'viewer' }, viewer.id),
        this.#unreadSummary, this.#status, signOutButton,
      ),
      element('main', { className: 'layout' },
        element('nav', { className: 'sidebar' }, element('h2', {}, `Threads (${threads.totalCount})`), this.#list.node),
        this.#pane,
        element('aside', { className: 'analytics' }, element('h2', {}, 'Analytics'), this.#charts.node),
      ),
    ];
    this.#showUnread();
  }

  subscribe(): void {
    for (const threadId of this.#list.ids) {
      this.api.subscribe(DashboardThreadEventsDocument, () => ({ threadId, afterSeq: this.#resumeAfter(threadId) }), {
        next: (data) => this.#onEvent(data.threadEvents),
        error: (error) => (this.#status.textContent = `Live updates stopped: ${error.message}`),
      });
    }
  }

  /**
   * Where a thread's subscription (re)starts: after the newest seq seen, or, in the open thread,
   * before its oldest reply still streaming, whose completion a dropped socket would otherwise
   * lose (deltas are not replayed; the replayed message carries its content as it is now).
   */
  #resumeAfter(threadId: string): number {
    const latest = this.#list.latestSeqOf(threadId);
    const streaming = this.#open?.threadId === threadId ? this.#open.oldestStreamingSeq : null;
    return streaming === null ? latest : Math.min(latest, streaming - 1);
  }

  /** Draws the charts, keeps them fresh, and opens the thread with the newest activity. */
  async start(): Promise<void> {
    await this.#refreshCharts();
    setInterval(() => void this.#refreshCharts(), ANALYTICS_POLL_MS);
    const newest = this.#list.ids[0];
    if (newest) await this.openThread(newest);
  }

  async openThread(threadId: string): Promise<void> {
    this.#opening = threadId;
    this.#list.select(threadId);
    const { thread } = await this.api.request(DashboardThreadMessagesDocument, { id: threadId, last: 100 });
    if (this.#opening !== threadId) return;
    if (!thread) return this.#list.removed(threadId);
    this.#open = new Conversation(threadId, thread.messages.edges.map((edge) => edge.node));
    this.#pane.replaceChildren(element('h2', { className: 'thread-title' }, thread.title ?? 'Untitled thread'), this.#open.node);
    await this.#markRead(threadId, Math.max(this.#open.latestSeq, this.#list.latestSeqOf(threadId)));
  }

  async #markRead(threadId: string, seq: number): Promise<void> {
    const { markThreadRead } = await this.api.request(DashboardMarkThreadReadDocument, { input: { threadId, seq } });
    this.#list.read(threadId, markThreadRead.lastReadSeq, markThreadRead.unreadCount);
    this.#showUnread();
  }

  #showUnread(): void {
    const count = this.#list.unreadThreads;
    this.#unreadSummary.textContent = `${count} unread thread${count === 1 ? '' : 's'}`;
  }

  #onEvent(event: ThreadEvent): void {
    const here = this.#open?.threadId === event.threadId ? this.#open : null;
    switch (event.__typename) {
      case 'MessageAdded':
        // A replayed message may be one already shown: it comes as it is now (a reply that
        // completed meanwhile, complete), and is counted once.
        here?.put(event.message);
        if (this.#list.messageAdded(event.threadId, event.seq, !here)) {
          if (here) void this.#markRead(event.threadId, event.seq);
          this.#showUnread();
        }
        break;
      case 'MessageDelta':
        here?.applyDelta(event);
        return;
      case 'MessageCompleted':
      case 'MessageEdited':
        here?.put(event.message);
        break;
      case 'MessageDeleted':
        here?.remove(event.seq);
        break;
      case 'RunStatusChanged':
        this.#list.runChanged(event.run);
        break;
      case 'ThreadUpdated':
        this.#list.threadUpdated(event.thread);
        break;
      case 'ThreadDeleted':
        this.#list.removed(event.threadId);
        if (here) this.#pane.replaceChildren(element('p', { className: 'hint' }, 'This thread was deleted.'));
        break;
    }
    this.#refreshChartsSoon();
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
      this.#status.textContent = `Analytics unavailable: ${(error as Error).message}`;
    }
  }
}
