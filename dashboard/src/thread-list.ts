import { element } from './dom.js';
import type { DashboardRunFragment, DashboardThreadFragment, DashboardThreadsQuery, RunStatus } from './gql/graphql.js';
import type { ViewerEvent } from './viewer-feed.js';

/** A run in one of these is over: the badge shows how it ended until the next run starts. */
const FINAL: ReadonlySet<RunStatus> = new Set<RunStatus>(['COMPLETED', 'FAILED', 'CANCELLED']);

type ReadThread = DashboardThreadsQuery['threads']['edges'][number]['node'];
type EventOf<Type extends ViewerEvent['__typename']> = Extract<ViewerEvent, { __typename: Type }>;

interface Listed {
  thread: DashboardThreadFragment;
  /** The run shown: the active one, else the last one that changed. */
  run: DashboardRunFragment | null;
  /** Its newest activity (ms since the epoch): the list's order, newest first. */
  activeAt: number;
  node: HTMLLIElement;
}

/**
 * The sidebar: the viewer's ACTIVE threads, newest activity first, each with its unread badge and
 * the status of its run. Read whole (`replace`), then kept by the viewer feed (`apply`): a thread
 * appears when created or unarchived, moves up on activity and leaves when archived or deleted.
 */
export class ThreadList {
  readonly heading = element('h2', {}, 'Threads');
  readonly node = element('ul', { className: 'threads', 'data-testid': 'threads' });
  readonly #listed = new Map<string, Listed>();
  #open: string | null = null;

  constructor(readonly onOpen: (threadId: string) => void) {}

  /** What threads() answered, in its order: the list starts over from it. */
  replace(threads: readonly ReadThread[]): void {
    this.#listed.clear();
    for (const { activeRun, ...thread } of threads) this.#put(thread, { run: activeRun });
    this.#show();
  }

  apply(event: ViewerEvent): void {
    switch (event.__typename) {
      case 'ThreadCreated':
      case 'ViewerThreadUpdated':
        this.#changed(event.thread);
        break;
      case 'ThreadActivity':
        this.#activity(event);
        break;
      case 'ThreadRead':
        this.#read(event.thread.id, event.thread.lastReadSeq, event.unreadCount);
        break;
      case 'ViewerRunStatusChanged':
        this.#runChanged(event.run);
        break;
      case 'ViewerThreadDeleted':
        this.#listed.delete(event.threadId);
        break;
    }
    this.#show();
  }

  /** What markThreadRead answered. */
  read(threadId: string, lastReadSeq: number, unreadCount: number): void {
    this.#read(threadId, lastReadSeq, unreadCount);
    this.#show();
  }

  remove(threadId: string): void {
    this.#listed.delete(threadId);
    this.#show();
  }

  /** The thread open on the page: highlighted, and its new messages do not count up (they are shown and marked read). */
  select(threadId: string | null): void {
    this.#open = threadId;
    for (const [id, listed] of this.#listed) listed.node.classList.toggle('open', id === threadId);
  }

  /** The thread at the top. */
  get newest(): string | undefined {
    return this.node.querySelector('li')?.dataset.threadId;
  }

  /** Threads with unread messages, as Viewer.unreadThreadCount counts them. */
  get unreadThreads(): number {
    return [...this.#listed.values()].filter((listed) => listed.thread.unreadCount > 0).length;
  }

  /** A thread as a change left it (its creation, a rename, archiving). Its counts stay as the page has them: they have events of their own. */
  #changed(thread: DashboardThreadFragment): void {
    const listed = this.#listed.get(thread.id);
    this.#put(listed ? { ...thread, unreadCount: listed.thread.unreadCount, lastReadSeq: listed.thread.lastReadSeq } : thread);
  }

  /** A new message: the thread moves up and shows the feed's unread count, except the open thread's. */
  #activity({ threadId, threadNow, unreadCount, lastMessage }: EventOf<'ThreadActivity'>): void {
    // Null: deleted since, and its ViewerThreadDeleted follows.
    if (!threadNow) return;
    const listed = this.#listed.get(threadId);
    const unread = threadId === this.#open && listed ? listed.thread.unreadCount : unreadCount;
    this.#put({ ...threadNow, unreadCount: unread }, { activeAt: Date.parse(lastMessage.createdAt) });
  }

  /** A read position, from the feed or a mark's answer; these two may cross, and an older one is not shown over a newer. */
  #read(threadId: string, lastReadSeq: number, unreadCount: number): void {
    const listed = this.#listed.get(threadId);
    if (!listed || lastReadSeq < listed.thread.lastReadSeq) return;
    listed.thread = { ...listed.thread, lastReadSeq, unreadCount };
    this.#render(listed);
  }

  #runChanged(run: DashboardRunFragment): void {
    const listed = this.#listed.get(run.threadId);
    if (!listed) return;
    // A final status of an older run does not hide the one now active.
    if (listed.run && listed.run.id !== run.id && !FINAL.has(listed.run.status) && FINAL.has(run.status)) return;
    listed.run = run;
    this.#render(listed);
  }

  /** Lists the thread while it is ACTIVE, as it now is; an archived one leaves the list. */
  #put(thread: DashboardThreadFragment, { run, activeAt = 0 }: { run?: DashboardRunFragment | null; activeAt?: number } = {}): void {
    if (thread.status !== 'ACTIVE') {
      this.#listed.delete(thread.id);
      return;
    }
    const listed = this.#listed.get(thread.id);
    const next: Listed = {
      thread,
      run: run === undefined ? (listed?.run ?? null) : run,
      // The events of a replay are older than what may be shown: activity only moves forward.
      activeAt: Math.max(listed?.activeAt ?? 0, Date.parse(thread.updatedAt), activeAt),
      node: listed?.node ?? element('li'),
    };
    this.#listed.set(thread.id, next);
    this.#render(next);
  }

  /** The list in order of activity; stable, so equal times keep the order threads() gave them. */
  #show(): void {
    const nodes = [...this.#listed.values()].sort((a, b) => b.activeAt - a.activeAt).map((listed) => listed.node);
    // Moved only when the order changed: moving a node takes the focus off its button.
    if (nodes.some((node, index) => this.node.children[index] !== node) || nodes.length !== this.node.children.length) this.node.replaceChildren(...nodes);
    this.heading.textContent = `Threads (${nodes.length})`;
  }

  #render(listed: Listed): void {
    const { thread, run } = listed;
    const unread = thread.unreadCount;
    const button = element('button', { type: 'button' },
      element('span', { className: 'title' }, thread.title ?? 'Untitled thread'),
      element('span', { className: `unread${unread > 0 ? '' : ' none'}`, 'data-unread': String(unread), title: `${unread} unread` }, String(unread)),
      run
        ? element('span', { className: `run ${run.status.toLowerCase()}`, 'data-run-status': run.status, title: `Run ${run.status.toLowerCase()}` }, runLabel(run.status))
        : null,
    );
    button.addEventListener('click', () => this.onOpen(thread.id));
    const node = element('li', { 'data-thread-id': thread.id, className: thread.id === this.#open ? 'open' : '' }, button);
    listed.node.replaceWith(node);
    listed.node = node;
  }
}

function runLabel(status: RunStatus): string {
  return status.toLowerCase().replace('_', ' ');
}
