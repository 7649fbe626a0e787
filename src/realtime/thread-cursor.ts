import { clientError } from '../errors/error-codes.js';

/**
 * Where a subscriber stands in a thread (issue 12 §1): the newest entry of the thread's event log
 * it has been given (thread-event-log.ts) and the newest message seq. The seq is there because a
 * message sequenced in Postgres while Redis was away reaches the log only later, if at all: a
 * catch-up fills such gaps from the message store, which knows messages by seq, not by entry.
 */
export interface ThreadPosition {
  entry: string;
  seq: number;
}

const CURSOR = /^(\d{1,15})-(\d{1,20}):(\d{1,15})$/;

/** The cursor given with each event: opaque to clients, `<entryId>:<seq>`. */
export function formatThreadCursor(position: ThreadPosition): string {
  return `${position.entry}:${position.seq}`;
}

/** A cursor as a client passes it back (`after`), else BAD_USER_INPUT. */
export function parseThreadCursor(value: string): ThreadPosition {
  const match = CURSOR.exec(value);
  if (!match) {
    throw clientError('BAD_USER_INPUT', `"${value.slice(0, 64)}" is not a thread event cursor: pass the cursor of an event of this thread you received`);
  }
  return { entry: `${match[1]}-${match[2]}`, seq: Number(match[3]) };
}

/** Why a replay from a client's cursor cannot be told in full: the log no longer reaches back to it. */
export function cursorReplayUnavailable(cursor: string, maxEvents: number, reason = 'older events are gone') {
  return clientError(
    'REPLAY_UNAVAILABLE',
    `Cannot replay the events after cursor ${cursor}: a thread's event log keeps about ${maxEvents} events (THREAD_EVENT_LOG_MAX_EVENTS) ` +
      `for as long as its hot state, and ${reason}. Load the thread's messages, then subscribe with afterSeq set to the newest seq you have`,
    { after: cursor, maxEvents },
  );
}
