import type { BareEvent } from '../shared/bare-broadcast.js';

/** Messages between the fanout bench (parent, holds the servers) and its subscriber process. */

/**
 * What is measured:
 * - `graphql`: the server, read by a protocol-level client: raw `ws` and JSON.parse speaking
 *   graphql-transport-ws, the same code path that reads the bare broadcast, so the two differ
 *   only in the server. The targets are judged on this one.
 * - `graphql-ws-client`: the server read by the graphql-ws client library, as applications use
 *   it. Shown beside, not judged: a thousand library clients in one process measure that
 *   process's per-frame work as much as the server.
 * - `bare`: the bare ws broadcast (bare-broadcast.ts).
 */
export type Target = 'graphql' | 'graphql-ws-client' | 'bare';
export const TARGETS: readonly Target[] = ['graphql', 'graphql-ws-client', 'bare'];

export function servedByThreadline(target: Target): boolean {
  return target !== 'bare';
}

/**
 * What a subscriber subscribes to:
 * - `messageAdded`: one thread's new messages (`messageAdded(threadId)`), as the thread scenarios.
 * - `viewerEvents`: its user's viewer feed, every event of all their threads (`viewerEvents`).
 */
export type Feed = 'messageAdded' | 'viewerEvents';

/** The subscribers of one thread (messageAdded) or one viewer (viewerEvents): `connections` sockets, each with `subscriptionsPerConnection` subscriptions. */
export interface SubscriberGroup {
  feed: Feed;
  /**
   * messageAdded: the thread subscribed to. viewerEvents: the viewer's own thread, which the
   * bench sends to; none for idle viewers (a viewer needs no thread to subscribe). The bare
   * broadcast keys its sockets by it, so a bare group must have one.
   */
  threadId?: string;
  /** The thread owner's (the viewer's) Bearer token (graphql), also used to send to the thread. */
  token: string;
  connections: number;
  subscriptionsPerConnection: number;
}

/** A thread the bench sends to, as its owner. */
export interface SendTarget {
  threadId: string;
  token: string;
}

export type Command =
  | { cmd: 'open'; target: Target; wsUrl: string; groups: SubscriberGroup[] }
  /**
   * Sends `messages` one at a time, going round `threads` (message i to thread i mod n); each is
   * timed until all `expected` subscribers got it.
   */
  | { cmd: 'latency'; target: Target; feed: Feed; sendUrl: string; threads: SendTarget[]; messages: number; expected: number; pauseMs: number }
  /** Keeps `concurrency` senders busy for `durationMs` over the threads, then waits for every delivery. */
  | { cmd: 'throughput'; target: Target; feed: Feed; sendUrl: string; threads: SendTarget[]; durationMs: number; concurrency: number; expectedPerMessage: number }
  | { cmd: 'close' };

export interface LatencyResult {
  /** Per message: ms from just before the send request to the arrival at the last subscriber. */
  lastArrivalMs: number[];
  /** Per message: ms until the send request was answered. */
  ackMs: number[];
  /** The last `next` frame's size in bytes, as a raw socket got it (not shown by the library client). */
  frameBytes?: number;
}

export interface ThroughputResult {
  sent: number;
  delivered: number;
  /** From the first send to the last delivery. */
  elapsedMs: number;
  /** Deliveries still missing when the wait for them timed out. */
  missing: number;
}

export type Reply = { ready: true } | { ok: true; result: unknown } | { ok: false; error: string };

/** The message content both targets carry: a tag to match arrivals, padded to the same size. */
export const CONTENT_BYTES = 200;
export function contentFor(tag: string): string {
  return `${tag} `.padEnd(CONTENT_BYTES, 'x');
}
export function tagOf(content: string): string {
  return content.slice(0, content.indexOf(' '));
}

/** What the bench POSTs to the bare broadcast's /send: the thread, the content, and which subscription's frame to send. */
export interface BareSend {
  threadId: string;
  content: string;
  feed: Feed;
}

/** What the bare broadcast sends for POST /send: the `next` payload the server sends that feed's subscribers for the message. */
export function bareEventOf(body: BareSend, seq: number): BareEvent {
  const message = { id: `msg_${Date.now()}_${seq}_0badf00d`, seq, content: body.content, createdAt: new Date().toISOString() };
  const data = body.feed === 'viewerEvents' ? { viewerEvents: threadActivity(body.threadId, message) } : { messageAdded: message };
  return { threadId: body.threadId, data, answer: { data: { sendMessage: { seq } } } };
}

/** A ThreadActivity as VIEWER_EVENTS selects it, field for field (a cursor is a feed entry ID, `<ms>-<n>`; unreadCount 1: nothing read). */
function threadActivity(threadId: string, lastMessage: object) {
  return { __typename: 'ThreadActivity', cursor: `${Date.now()}-0`, threadId, unreadCount: 1, lastMessage };
}

/**
 * The subscription both targets' frames answer, field for field, per feed; `contentOf` finds the
 * message content in a `next` payload's data (undefined for an event that carries none).
 */
export const SUBSCRIPTIONS: Record<Feed, { query: string; variables(threadId: string | undefined): Record<string, unknown>; contentOf(data: any): string | undefined }> = {
  messageAdded: {
    query: 'subscription($threadId: ID!) { messageAdded(threadId: $threadId) { id seq content createdAt } }',
    variables: (threadId) => ({ threadId }),
    contentOf: (data) => data.messageAdded.content,
  },
  // What a thread list shows for a new message: which thread, its unread count, the message. The
  // unread count reads the thread's read position when the event is delivered (one Postgres read
  // per event and viewer, viewer-event.ts), as it does for every client that selects it.
  viewerEvents: {
    query: 'subscription { viewerEvents { __typename ... on ThreadActivity { cursor threadId unreadCount lastMessage { id seq content createdAt } } } }',
    variables: () => ({}),
    contentOf: (data) => data.viewerEvents.lastMessage?.content,
  },
};
