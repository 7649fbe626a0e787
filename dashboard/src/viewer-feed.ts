import type { Api, ApiError } from './api.js';
import { DashboardViewerEventsDocument, type DashboardViewerEventsSubscription } from './gql/graphql.js';

export type ViewerEvent = DashboardViewerEventsSubscription['viewerEvents'];

export interface ViewerFeedHandlers {
  /** Reads afresh what the events apply to (the thread list). */
  reload(): Promise<void>;
  event(event: ViewerEvent): void;
  /** The feed stopped (a server without Redis has none), or a reload failed. */
  error(error: Error): void;
}

/**
 * The viewer feed: one viewerEvents subscription that the whole thread list follows. It keeps the
 * cursor of the last event, and when graphql-ws subscribes again after a reconnect, asks for what
 * came after it: no gap, no duplicate.
 *
 * Without a cursor (nothing arrived yet, or the feed no longer has ours) a subscription is live
 * from when it reaches the server, so the list is read again after it was sent, and the events
 * that arrive meanwhile are held and applied over what was read: each carries the state the
 * change left, so one the list already shows changes nothing that a later one does not set.
 */
export class ViewerFeed {
  #cursor: string | null = null;
  /** Reloads under way: events wait in #held until the last is done. */
  #reloads = 0;
  readonly #held: ViewerEvent[] = [];

  constructor(private readonly api: Api, private readonly on: ViewerFeedHandlers) {
    api.onReconnected(() => {
      if (this.#cursor === null) this.#reloadInBackground();
    });
  }

  /** Subscribes, then reads the list. */
  start(): Promise<void> {
    this.#subscribe();
    return this.#reload();
  }

  #subscribe(): void {
    this.api.subscribe(DashboardViewerEventsDocument, () => ({ after: this.#cursor }), {
      next: ({ viewerEvents }) => this.#receive(viewerEvents),
      error: (error) => this.#failed(error),
    });
  }

  #receive(event: ViewerEvent): void {
    this.#cursor = event.cursor;
    if (this.#reloads > 0) this.#held.push(event);
    else this.on.event(event);
  }

  /**
   * The subscription ended with an error. REPLAY_UNAVAILABLE: our cursor is older than the feed
   * keeps; BAD_USER_INPUT with a cursor: the feed does not know it (its Redis lost it). Either
   * way, start over from now. Anything else would come back the same: stop.
   */
  #failed(error: ApiError): void {
    const cursorLost = error.code === 'REPLAY_UNAVAILABLE' || (error.code === 'BAD_USER_INPUT' && this.#cursor !== null);
    if (!cursorLost) return this.on.error(error);
    this.#cursor = null;
    this.#subscribe();
    this.#reloadInBackground();
  }

  async #reload(): Promise<void> {
    this.#reloads += 1;
    try {
      await this.api.connected();
      // graphql-ws sends the subscription in the microtasks after the socket is up; a task later it has gone.
      await new Promise((resolve) => setTimeout(resolve));
      await this.on.reload();
    } finally {
      this.#reloads -= 1;
      if (this.#reloads === 0) for (const event of this.#held.splice(0)) this.on.event(event);
    }
  }

  #reloadInBackground(): void {
    this.#reload().catch((error: Error) => this.on.error(error));
  }
}
