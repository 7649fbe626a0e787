import type { Api, ApiError } from './api.js';
import { Conversation } from './conversation.js';
import { DashboardThreadEventsDocument, type DashboardMessageFragment, type DashboardThreadEventsSubscription } from './gql/graphql.js';

type ThreadEvent = DashboardThreadEventsSubscription['threadEvents'];

export interface OpenThreadHandlers {
  /** A message new to the page is on screen (not a replayed one): it can be marked read. */
  added(seq: number): void;
  deleted(): void;
  error(error: ApiError): void;
}

/**
 * The thread being read: its messages on screen, and the one threadEvents subscription the page
 * keeps, for what the viewer feed does not carry: each message as it changes, and the deltas of
 * a streaming reply. Closed when another thread is opened.
 *
 * It keeps the cursor of the last event: after a reconnect it resumes after it, so a reply that
 * streamed meanwhile brings the rest of its chunks, or its completion, and nothing twice.
 */
export class OpenThread {
  readonly #conversation: Conversation;
  #cursor: string | null = null;
  #unsubscribe: () => void = () => {};

  constructor(private readonly api: Api, readonly threadId: string, messages: readonly DashboardMessageFragment[], private readonly on: OpenThreadHandlers) {
    this.#conversation = new Conversation(threadId, messages);
    this.#subscribe();
  }

  #subscribe(): void {
    const { threadId } = this;
    this.#unsubscribe = this.api.subscribe(
      DashboardThreadEventsDocument,
      () => (this.#cursor === null ? { threadId, afterSeq: this.#resumeAfter() } : { threadId, after: this.#cursor }),
      {
        next: (data) => {
          this.#cursor = data.threadEvents.cursor;
          this.#onEvent(data.threadEvents);
        },
        error: (error) => this.#failed(error),
      },
    );
  }

  /** REPLAY_UNAVAILABLE for our cursor: the thread no longer keeps what came after it; resume by seq instead. */
  #failed(error: ApiError): void {
    if (error.code !== 'REPLAY_UNAVAILABLE' || this.#cursor === null) return this.on.error(error);
    this.#cursor = null;
    this.#subscribe();
  }

  get node(): HTMLElement {
    return this.#conversation.node;
  }

  get latestSeq(): number {
    return this.#conversation.latestSeq;
  }

  close(): void {
    this.#unsubscribe();
  }

  /**
   * Where the subscription starts without a cursor (when opened, or when the cursor was too old):
   * after the newest seq shown, or before the oldest reply still streaming, which the replay then
   * brings as it is by now (afterSeq replays no deltas), so none of it is lost, nor its completion.
   */
  #resumeAfter(): number {
    const latest = this.#conversation.latestSeq;
    const streaming = this.#conversation.oldestStreamingSeq;
    return streaming === null ? latest : Math.min(latest, streaming - 1);
  }

  #onEvent(event: ThreadEvent): void {
    switch (event.__typename) {
      case 'MessageAdded': {
        // A replayed message may be one already shown: it comes as it is now, and is shown so.
        const added = event.seq > this.#conversation.latestSeq;
        this.#conversation.put(event.message);
        if (added) this.on.added(event.seq);
        break;
      }
      case 'MessageDelta':
        this.#conversation.applyDelta(event);
        break;
      case 'MessageCompleted':
      case 'MessageEdited':
        this.#conversation.put(event.message);
        break;
      case 'MessageDeleted':
        this.#conversation.remove(event.seq);
        break;
      case 'ThreadDeleted':
        this.on.deleted();
        break;
    }
  }
}
