/** Messages between the streaming-deltas bench (parent, holds the servers) and its client process. */
import type { BareEvent } from '../shared/bare-broadcast.js';

/**
 * - `threadline`: appendMessageDelta on the server, read by a protocol-level client (raw `ws` and
 *   JSON.parse speaking graphql-transport-ws) subscribed to threadEvents.
 * - `bare`: the bare ws broadcast (shared/bare-broadcast.ts) sending the same MessageDelta frame,
 *   read by the same code: the two differ only in the server.
 */
export type Target = 'threadline' | 'bare';
export const TARGETS: readonly Target[] = ['threadline', 'bare'];

export type Command =
  | { cmd: 'open'; target: Target; wsUrl: string; threadId: string; token: string; subscribers: number }
  /**
   * Streams `deltas` chunks into one message (startMessage first, completeMessage after, on
   * threadline), one at a time, `pauseMs` apart; each is timed until all `expected` subscribers got it.
   */
  | { cmd: 'deltas'; target: Target; sendUrl: string; threadId: string; token: string; deltas: number; expected: number; pauseMs: number }
  | { cmd: 'close' };

export interface DeltaTimings {
  /** Per delta: ms from just before the append request to the arrival at the last subscriber. */
  lastArrivalMs: number[];
  /** Per delta: ms until the append request was answered. */
  ackMs: number[];
}

export type Reply = { ready: true } | { ok: true; result: unknown } | { ok: false; error: string };

/** A delta carries a tag to match arrivals, padded to a model token chunk's size. */
export const DELTA_BYTES = 16;
export function deltaFor(tag: string): string {
  return `${tag} `.padEnd(DELTA_BYTES, 'x');
}
export function tagOf(delta: string): string {
  return delta.slice(0, delta.indexOf(' '));
}

/** What both targets' frames answer, field for field. */
export const SUBSCRIPTION = `subscription($threadId: ID!) { threadEvents(threadId: $threadId) {
  __typename ... on MessageDelta { seq messageId index delta }
} }`;

/** What the bare broadcast sends for POST /send {threadId, messageId, delta}: the payload of SUBSCRIPTION. */
export function messageDeltaEvent({ threadId, messageId, delta }: { threadId: string; messageId: string; delta: string }, count: number): BareEvent {
  const threadEvents = { __typename: 'MessageDelta', seq: 1, messageId, index: count - 1, delta };
  return { threadId, data: { threadEvents }, answer: { data: { appendMessageDelta: { id: messageId } } } };
}
