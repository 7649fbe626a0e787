import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { clientError } from '../errors/error-codes.js';
import type { ThreadId } from '../ids/id-types.js';
import { realtimeResyncs } from '../observability/metrics.js';
import { createEventQueue } from './event-queue.js';
import { sendDirect, socketFramesOf } from './socket-frames.js';
import type { SubscriptionRegistry } from './subscription-registry.js';
import { decodeThreadEvent, type ThreadEvent } from './thread-events.js';
import type { ThreadEventLog } from '../storage/thread-event-log.js';
import { compareStreamIds } from '../storage/stream-ids.js';
import { cursorReplayUnavailable, formatThreadCursor, type ThreadPosition } from './thread-cursor.js';

/**
 * A gap that a catch-up did not close (storage lagging what Redis announced, e.g. a Redis read
 * that fell back to Postgres) is retried this many times, pausing longer each time, then ends
 * the subscription with an error rather than looping or skipping.
 */
const GAP_RETRIES = 5;
const GAP_RETRY_PAUSE_MS = 50;

/** Log entries read per replay round trip. */
const REPLAY_PAGE = 200;

/** What a subscription yields: an event with the cursor after it, or the error that ends it (a resolver throws it). */
export type TailItem = { event: ThreadEvent; cursor: string } | { error: GraphQLError };

/** An event as a subscriber receives it: with its cursor. */
export type DeliveredThreadEvent = ThreadEvent & { cursor: string };

/** Where a tail catches up from what the thread's event log cannot tell. */
export interface TailSource {
  /** What came after `seq`, in order. Throws REPLAY_UNAVAILABLE when that cannot be told in full. */
  missedSince(seq: number): Promise<ThreadEvent[]>;
  /** Whether everything it tells is logged too: then it is asked only when the log cannot be replayed. */
  readonly coveredByLog: boolean;
}

/** Where a tail starts, and how. */
export interface TailStart extends ThreadPosition {
  /** A client's cursor: a log that no longer covers it is REPLAY_UNAVAILABLE, not a catch-up of messages only. */
  exact: boolean;
  /** Catch up once registered (what came after the position while subscribing, or a resume). */
  replay: boolean;
}

export interface ThreadTailOptions {
  ctx: { userId: string; log: Logger };
  registry: SubscriptionRegistry;
  threadId: ThreadId;
  start: TailStart;
  /** The thread event logs; null without Redis (catch-ups then come from `source` only). */
  log: ThreadEventLog | null;
  /** Whether the subscription delivers MessageAdded: a seq it skips is then filled from `source`. */
  messages: boolean;
  /** The events this subscription wants; the position moves past the others too. */
  accepts: (event: ThreadEvent) => boolean;
  source: TailSource;
}

/**
 * One item per live event for all its subscribers at the same position: the payload object is
 * what lets the server execute an event once for a whole audience (server/shared-subscription-results.ts).
 */
const liveItems = new WeakMap<ThreadEvent, TailItem & { cursor: string }>();

/** The event of an item with its cursor, or its error thrown, for the subscription field's resolver. */
export function eventOf(item: TailItem): DeliveredThreadEvent {
  if ('error' in item) throw item.error;
  return { ...item.event, cursor: item.cursor };
}

/**
 * A thread's events for one subscriber, resumable without gap or duplicate. It registers first
 * and buffers live events; once Redis confirmed the channel it replays the thread's event log
 * after the subscriber's position, then drains the buffer, dropping what it already delivered:
 * every logged event by its entry ID, every MessageAdded by its seq. A MessageAdded that skips a
 * seq (a message written while Redis was away, not logged) is preceded by the messages it skipped,
 * read from the message store. The same catch-up runs after a Redis reconnect and on such a gap.
 * When the log no longer covers the position (trimmed, expired, lost with Redis), a catch-up of
 * messages from the store is what remains, as before logs existed; for a client's own cursor
 * that is REPLAY_UNAVAILABLE instead.
 */
export function openThreadTail(options: ThreadTailOptions): AsyncIterableIterator<TailItem> {
  const { registry, source, accepts, log, threadId } = options;
  const position: ThreadPosition = { entry: options.start.entry, seq: options.start.seq };
  let exact = options.start.exact;
  let buffering = true;
  const buffered: ThreadEvent[] = [];
  let running = true;
  let pending = false;
  /** Catch-ups caused by a gap since the seq last moved. */
  let gapStreak = 0;

  // A whole log fits: a subscriber resuming must get all of it.
  const maxQueued = Math.max(registry.limits.maxQueuedEvents, 2 * (log?.limits.maxEvents ?? 0));
  // Over a graphql-ws socket, live events may go straight to it (socket-frames.ts).
  const frames = socketFramesOf(options.ctx);
  const queue = createEventQueue<TailItem>({
    maxQueued,
    overflow: () => ({
      error: clientError('LIMIT_EXCEEDED', `This subscription fell more than ${maxQueued} events behind and was ended; resubscribe with after to resume`),
    }),
    onClose: () => registration.remove(),
    sendDirect: frames && ((item) => 'event' in item && sendDirect(frames, item)),
  });
  const registration = registry.register(options.ctx, threadId, {
    deliver: (event) => {
      if (event.type === 'ThreadDeleted') return endWithDeletion(event);
      if (buffering) buffered.push(event);
      else receive(event);
    },
    resync: () => catchUp('reconnect'),
    end: () => {
      queue.end();
      registration.remove();
    },
  });

  /** Nothing follows a deletion: the subscriber gets it (if it takes such events), then the end. */
  function endWithDeletion(event: ThreadEvent): void {
    moveTo(event.entry);
    if (accepts(event)) queue.push(itemOf(event, true));
    queue.end();
  }

  function receive(event: ThreadEvent): void {
    if (place(event, true)) return;
    buffered.push(event);
    catchUp('gap');
  }

  /** Delivers an event unless the subscriber has it; false (nothing done) when a message it follows is missing. */
  function place(event: ThreadEvent, live: boolean): boolean {
    if (event.entry !== undefined && compareStreamIds(event.entry, position.entry) <= 0) return true;
    if (event.type === 'MessageAdded') {
      if (event.seq <= position.seq) return moveTo(event.entry);
      if (options.messages && event.seq > position.seq + 1) return false;
      position.seq = event.seq;
      gapStreak = 0;
    }
    // A change to a message the subscriber has not had yet (a deleted message's own events leave
    // the log): the message comes first, from the store.
    if (options.messages && isMessageChange(event) && event.seq > position.seq) return false;
    if (event.type === 'ThreadDeleted') {
      endWithDeletion(event);
      return true;
    }
    moveTo(event.entry);
    if (accepts(event)) queue.push(itemOf(event, live));
    return true;
  }

  function moveTo(entry: string | undefined): true {
    if (entry !== undefined && compareStreamIds(entry, position.entry) > 0) position.entry = entry;
    return true;
  }

  /** The item for the current position; a live event's one item, when this subscriber stands where it was made. */
  function itemOf(event: ThreadEvent, live: boolean): TailItem {
    const cursor = formatThreadCursor(position);
    if (!live) return { event, cursor };
    const shared = liveItems.get(event);
    if (shared?.cursor === cursor) return shared;
    const item = { event, cursor };
    if (!shared) liveItems.set(event, item);
    return item;
  }

  function catchUp(cause: 'reconnect' | 'gap'): void {
    realtimeResyncs.inc({ cause });
    if (cause === 'gap') gapStreak += 1;
    buffering = true;
    pending = true;
    if (running) return;
    running = true;
    void replayLoop().catch(fail);
  }

  async function replayLoop(): Promise<void> {
    try {
      while (pending && !queue.closed) {
        pending = false;
        if (gapStreak > GAP_RETRIES) {
          throw clientError('REPLAY_UNAVAILABLE', `Message seq ${position.seq + 1} was announced but cannot be read; resubscribe with afterSeq ${position.seq}`);
        }
        if (gapStreak > 1) await new Promise((resolve) => setTimeout(resolve, GAP_RETRY_PAUSE_MS * (gapStreak - 1)));
        const replay = log ? await replayLog(log) : 'unavailable';
        // A retry (storage lagging the log) fills nothing now: it would put messages before the log's events.
        if (replay === 'unavailable' || (replay === 'done' && !source.coveredByLog)) await fillFromSource();
      }
    } finally {
      running = false;
    }
    // Synchronously after the last look at `pending`: a trigger from here on starts a new loop.
    buffering = false;
    for (const event of buffered.splice(0)) {
      if (buffering) buffered.push(event);
      else receive(event);
    }
  }

  /**
   * Replays the log after the position: 'unavailable' when it no longer covers the position,
   * 'retry' when a message it holds cannot be read from storage yet (the loop comes back to it).
   */
  async function replayLog(log: ThreadEventLog): Promise<'done' | 'unavailable' | 'retry'> {
    for (;;) {
      const page = await readLog(log);
      if (!page) return 'unavailable';
      exact = false;
      for (const logged of page.entries) {
        const event = logged.json === '' ? undefined : decodeOrSkip(logged.entry, logged.json);
        if (!event) {
          moveTo(logged.entry);
          continue;
        }
        if (place(event, false)) continue;
        await fillFromSource(messagesBefore(event));
        if (place(event, false)) continue;
        // Storage lags what the log holds: the loop retries from here, pausing.
        gapStreak += 1;
        pending = true;
        return 'retry';
      }
      if (page.entries.length < REPLAY_PAGE || queue.closed) return 'done';
    }
  }

  /** A page of the log after the position; null when it cannot tell it (for a client's own cursor: REPLAY_UNAVAILABLE). */
  async function readLog(log: ThreadEventLog) {
    const cursor = formatThreadCursor(position);
    let page;
    try {
      page = await registry.read(() => log.read(threadId, position.entry, REPLAY_PAGE));
    } catch (error) {
      if (exact) throw cursorReplayUnavailable(cursor, log.limits.maxEvents, 'the log cannot be read right now');
      options.ctx.log.warn({ err: error, threadId }, 'thread event log unreadable; catching up from the message store');
      return null;
    }
    if (!page && exact) throw cursorReplayUnavailable(cursor, log.limits.maxEvents);
    return page;
  }

  /** What the source has after the position's seq, before `beforeSeq` when given. */
  async function fillFromSource(beforeSeq?: number): Promise<void> {
    const missed = await registry.read(() => source.missedSince(position.seq));
    for (const event of missed) {
      if (beforeSeq !== undefined && event.type === 'MessageAdded' && event.seq >= beforeSeq) break;
      if (queue.closed) return;
      place(event, false);
    }
  }

  function decodeOrSkip(entry: string, json: string): ThreadEvent | undefined {
    try {
      return decodeThreadEvent(json, entry);
    } catch (error) {
      options.ctx.log.warn({ err: error, threadId, entry }, 'undecodable thread event log entry skipped');
      return undefined;
    }
  }

  async function start(): Promise<void> {
    try {
      await registration.subscribed;
      pending = options.start.replay;
    } catch (error) {
      running = false;
      throw error;
    }
    await replayLoop();
  }

  function fail(error: unknown): void {
    if (queue.closed) return;
    const known = error instanceof GraphQLError ? error : undefined;
    if (!known) options.ctx.log.error({ err: error }, 'subscription catch-up failed');
    queue.push({ error: known ?? clientError('INTERNAL', 'Unexpected error.') });
    queue.end();
  }

  void start().catch(fail);
  return queue.iterator;
}

function isMessageChange(event: ThreadEvent): event is Extract<ThreadEvent, { type: 'MessageEdited' | 'MessageDeleted' }> {
  return event.type === 'MessageEdited' || event.type === 'MessageDeleted';
}

/** The seq below which the store's messages come before `event`: the message it adds, or up to the one it changes. */
function messagesBefore(event: ThreadEvent): number | undefined {
  if (event.type === 'MessageAdded') return event.seq;
  return isMessageChange(event) ? event.seq + 1 : undefined;
}
