import type { Api } from './api.js';
import { AnalyticsCharts, chartRange } from './charts.js';
import { Conversation } from './conversation.js';
import { element } from './dom.js';
import {
  DashboardAnalyticsDocument,
  DashboardMarkThreadReadDocument,
  DashboardThreadEventsDocument,
  DashboardThreadMessagesDocument,
  DashboardThreadsDocument,
  type DashboardThreadEventsSubscription,
} from './gql/graphql.js';
import { ThreadList } from './thread-list.js';

/** The archive lags the live data by a second or more: charts are re-read this long after activity. */
const ANALYTICS_SETTLE_MS = 2_500;
/** And every so often regardless, to catch up with what the archive took longer over. */
const ANALYTICS_POLL_MS = 10_000;

type ThreadEvent = DashboardThreadEventsSubscription['threadEvents'];

/**
 * The signed-in page: the thread list (one threadEvents subscription per listed thread, resumed
 * from the seq the list was read at), the open thread's messages with replies streaming in, and
 * the analytics charts.
 */
export async function showDashboard(root: HTMLElement, api: Api, signOut: () => void): Promise<void> {
  const { viewer, threads } = await api.request(DashboardThreadsDocument, { first: 50 });
  const status = element('span', { className: 'connection' });
  const unreadSummary = element('span', { className: 'unread-summary', 'data-testid': 'unread-threads' });
  const signOutButton = element('button', { type: 'button', className: 'sign-out' }, 'Sign out');
  signOutButton.addEventListener('click', signOut);
  const pane = element('div', { className: 'thread-pane' }, element('p', { className: 'hint' }, 'Open a thread to read it.'));
  const charts = new AnalyticsCharts();

  let open: Conversation | null = null;
  // The last thread asked for: a slower load of one opened before must not replace it.
  let opening: string | null = null;
  const list = new ThreadList(threads.edges.map((edge) => edge.node), (threadId) => void openThread(threadId));
  const showUnread = () => (unreadSummary.textContent = `${list.unreadThreads} unread thread${list.unreadThreads === 1 ? '' : 's'}`);
  showUnread();

  root.replaceChildren(
    element('header', { className: 'top' },
      element('h1', {}, 'Threadline'),
      element('span', { className: 'viewer', 'data-testid': 'viewer' }, viewer.id),
      unreadSummary, status, signOutButton,
    ),
    element('main', { className: 'layout' },
      element('nav', { className: 'sidebar' }, element('h2', {}, `Threads (${threads.totalCount})`), list.node),
      pane,
      element('aside', { className: 'analytics' }, element('h2', {}, 'Analytics'), charts.node),
    ),
  );

  async function markRead(threadId: string, seq: number) {
    const { markThreadRead } = await api.request(DashboardMarkThreadReadDocument, { input: { threadId, seq } });
    list.read(threadId, markThreadRead.lastReadSeq, markThreadRead.unreadCount);
    showUnread();
  }

  async function openThread(threadId: string) {
    opening = threadId;
    list.select(threadId);
    const { thread } = await api.request(DashboardThreadMessagesDocument, { id: threadId, last: 100 });
    if (opening !== threadId) return;
    if (!thread) return list.removed(threadId);
    open = new Conversation(threadId, thread.messages.edges.map((edge) => edge.node));
    pane.replaceChildren(element('h2', { className: 'thread-title' }, thread.title ?? 'Untitled thread'), open.node);
    await markRead(threadId, Math.max(open.latestSeq, list.latestSeqOf(threadId)));
  }

  function onEvent(event: ThreadEvent) {
    const here = open?.threadId === event.threadId ? open : null;
    switch (event.__typename) {
      case 'MessageAdded':
        // After a reconnect graphql-ws subscribes again with the same afterSeq: the replay repeats
        // messages already counted, each as it is now (a reply that completed meanwhile, complete).
        here?.put(event.message);
        if (list.messageAdded(event.threadId, event.seq, !here)) {
          if (here) void markRead(event.threadId, event.seq);
          showUnread();
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
        list.runChanged(event.run);
        break;
      case 'ThreadUpdated':
        list.threadUpdated(event.thread);
        break;
      case 'ThreadDeleted':
        list.removed(event.threadId);
        if (here) pane.replaceChildren(element('p', { className: 'hint' }, 'This thread was deleted.'));
        break;
    }
    refreshChartsSoon();
  }

  for (const threadId of list.ids) {
    api.subscribe(DashboardThreadEventsDocument, { threadId, afterSeq: list.latestSeqOf(threadId) }, {
      next: (data) => onEvent(data.threadEvents),
      error: (error) => (status.textContent = `Live updates stopped: ${error.message}`),
    });
  }

  let settle: ReturnType<typeof setTimeout> | undefined;
  function refreshChartsSoon() {
    clearTimeout(settle);
    settle = setTimeout(() => void refreshCharts(), ANALYTICS_SETTLE_MS);
  }
  async function refreshCharts() {
    const { from, to, days } = chartRange(new Date());
    try {
      const { analytics } = await api.request(DashboardAnalyticsDocument, { from, to });
      charts.show(analytics, days);
    } catch (error) {
      status.textContent = `Analytics unavailable: ${(error as Error).message}`;
    }
  }
  await refreshCharts();
  setInterval(() => void refreshCharts(), ANALYTICS_POLL_MS);
  const first = list.ids[0];
  if (first) await openThread(first);
}
