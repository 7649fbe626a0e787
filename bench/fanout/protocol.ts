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

/** Subscribers of one thread: `connections` sockets, each with `subscriptionsPerConnection` subscriptions. */
export interface SubscriberGroup {
  threadId: string;
  /** The thread owner's Bearer token (graphql), also used to send to the thread. */
  token: string;
  connections: number;
  subscriptionsPerConnection: number;
}

export type Command =
  | { cmd: 'open'; target: Target; wsUrl: string; groups: SubscriberGroup[] }
  /** Sends `messages` to one thread, one at a time; each is timed until all `expected` subscribers got it. */
  | { cmd: 'latency'; target: Target; sendUrl: string; threadId: string; token: string; messages: number; expected: number; pauseMs: number }
  /** Keeps `concurrency` senders busy for `durationMs` over the threads, then waits for every delivery. */
  | { cmd: 'throughput'; target: Target; sendUrl: string; threads: Array<{ threadId: string; token: string }>; durationMs: number; concurrency: number; expectedPerMessage: number }
  | { cmd: 'close' };

export interface LatencyResult {
  /** Per message: ms from just before the send request to the arrival at the last subscriber. */
  lastArrivalMs: number[];
  /** Per message: ms until the send request was answered. */
  ackMs: number[];
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

/** What the bare broadcast sends for POST /send {threadId, content}: the messageAdded payload of SUBSCRIPTION. */
export function messageAddedEvent({ threadId, content }: { threadId: string; content: string }, seq: number): BareEvent {
  const messageAdded = { id: `msg_${Date.now()}_${seq}_0badf00d`, seq, content, createdAt: new Date().toISOString() };
  return { threadId, data: { messageAdded }, answer: { data: { sendMessage: { seq } } } };
}

/** The subscription both targets' frames answer, field for field. */
export const SUBSCRIPTION = 'subscription($threadId: ID!) { messageAdded(threadId: $threadId) { id seq content createdAt } }';
