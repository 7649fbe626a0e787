import { element } from './dom.js';
import type { DashboardRunFragment, DashboardThreadFragment, RunStatus } from './gql/graphql.js';

/** A run in one of these is over: the badge shows how it ended until the next run starts. */
const FINAL: ReadonlySet<RunStatus> = new Set<RunStatus>(['COMPLETED', 'FAILED', 'CANCELLED']);

interface Listed {
  thread: DashboardThreadFragment;
  /** The newest seq seen: a MessageAdded at or below it is a replayed duplicate. */
  latestSeq: number;
  /** The run shown: the active one, else the last one that changed. */
  run: DashboardRunFragment | null;
  node: HTMLLIElement;
}

/**
 * The sidebar: the viewer's threads, each with its unread badge (Thread.unreadCount, counted up
 * on every new message while the thread is not open) and the status of its run.
 */
export class ThreadList {
  readonly node = element('ul', { className: 'threads', 'data-testid': 'threads' });
  readonly #listed = new Map<string, Listed>();

  constructor(threads: readonly DashboardThreadFragment[], readonly onOpen: (threadId: string) => void) {
    for (const thread of threads) {
      const listed: Listed = { thread, latestSeq: thread.messageCount, run: thread.activeRun ?? null, node: element('li') };
      this.#listed.set(thread.id, listed);
      listed.node = this.#render(listed);
      this.node.append(listed.node);
    }
  }

  get ids(): string[] {
    return [...this.#listed.keys()];
  }

  latestSeqOf(threadId: string): number {
    return this.#listed.get(threadId)?.latestSeq ?? 0;
  }

  /** Whether the message at `seq` is new here (not a replayed one), counting it unread when `unread`. */
  messageAdded(threadId: string, seq: number, unread: boolean): boolean {
    const listed = this.#listed.get(threadId);
    if (!listed || seq <= listed.latestSeq) return false;
    listed.latestSeq = seq;
    const unreadCount = unread ? listed.thread.unreadCount + 1 : listed.thread.unreadCount;
    this.#update(listed, { ...listed.thread, messageCount: Math.max(listed.thread.messageCount, seq), unreadCount });
    return true;
  }

  /** What markThreadRead answered. */
  read(threadId: string, lastReadSeq: number, unreadCount: number): void {
    const listed = this.#listed.get(threadId);
    if (listed) this.#update(listed, { ...listed.thread, lastReadSeq, unreadCount });
  }

  runChanged(run: DashboardRunFragment): void {
    const listed = this.#listed.get(run.threadId);
    if (!listed) return;
    // A final status of an older run does not hide the one now active.
    if (listed.run && listed.run.id !== run.id && !FINAL.has(listed.run.status) && FINAL.has(run.status)) return;
    listed.run = run;
    this.#update(listed, listed.thread);
  }

  threadUpdated(thread: DashboardThreadFragment): void {
    const listed = this.#listed.get(thread.id);
    // Counts stay as this page has tracked them: the event was read when it was published.
    if (listed) this.#update(listed, { ...thread, unreadCount: listed.thread.unreadCount, lastReadSeq: listed.thread.lastReadSeq });
  }

  removed(threadId: string): void {
    this.#listed.get(threadId)?.node.remove();
    this.#listed.delete(threadId);
  }

  select(threadId: string | null): void {
    for (const [id, listed] of this.#listed) listed.node.classList.toggle('open', id === threadId);
  }

  /** Threads with unread messages, as Viewer.unreadThreadCount counts them. */
  get unreadThreads(): number {
    return [...this.#listed.values()].filter((listed) => listed.thread.unreadCount > 0).length;
  }

  #update(listed: Listed, thread: DashboardThreadFragment): void {
    listed.thread = thread;
    const node = this.#render(listed);
    node.classList.toggle('open', listed.node.classList.contains('open'));
    listed.node.replaceWith(node);
    listed.node = node;
  }

  #render({ thread, run }: Listed): HTMLLIElement {
    const unread = thread.unreadCount;
    const button = element('button', { type: 'button' },
      element('span', { className: 'title' }, thread.title ?? 'Untitled thread'),
      element('span', { className: `unread${unread > 0 ? '' : ' none'}`, 'data-unread': String(unread), title: `${unread} unread` }, String(unread)),
      run
        ? element('span', { className: `run ${run.status.toLowerCase()}`, 'data-run-status': run.status, title: `Run ${run.status.toLowerCase()}` }, runLabel(run.status))
        : null,
    );
    button.addEventListener('click', () => this.onOpen(thread.id));
    return element('li', { 'data-thread-id': thread.id }, button);
  }
}

function runLabel(status: RunStatus): string {
  return status.toLowerCase().replace('_', ' ');
}
