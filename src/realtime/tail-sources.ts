import type { ExecutionContext } from '../context/execution-context.js';
import { clientError } from '../errors/error-codes.js';
import type { RunId, ThreadId } from '../ids/id-types.js';
import { findRunsByIds } from '../repositories/runs-repository.js';
import type { TailSource } from './thread-tail.js';
import type { ThreadEvent } from './thread-events.js';

/** Messages read per replay query. */
const REPLAY_PAGE = 200;

/** The error a subscriber gets instead of a silent skip. */
export function replayUnavailable(afterSeq: number, reason: string, maxReplay: number) {
  return clientError(
    'REPLAY_UNAVAILABLE',
    `Cannot replay the messages after seq ${afterSeq}: ${reason}. Load the thread's messages, then subscribe with afterSeq set to the newest seq you have`,
    { afterSeq, maxReplay },
  );
}

/**
 * Replays a thread's messages as MessageAdded events, from the message store (the Redis window,
 * or Postgres for older ones), so what was acked but not yet persisted is replayed too. At most
 * `maxReplay` messages, and only a gap-free run: a missing seq is an error, never skipped.
 */
export function messageReplaySource(ctx: ExecutionContext, threadId: ThreadId, maxReplay: number): TailSource & { latestSeq(): Promise<number> } {
  const page = async (window: { after?: number; limit: number; backwards: boolean }) =>
    (await ctx.messageStore.readPages(ctx.uow.reader, [threadId], window)).get(threadId) ?? [];

  return {
    // A message sequenced in Postgres while Redis was away is logged only when relayed, if at all.
    coveredByLog: false,

    /** The thread's newest seq, the Redis-only newest message included. */
    async latestSeq() {
      const [newest] = await page({ limit: 1, backwards: true });
      return newest?.seq ?? 0;
    },

    async missedSince(afterSeq) {
      const events: ThreadEvent[] = [];
      let seq = afterSeq;
      for (;;) {
        const messages = await page({ after: seq, limit: REPLAY_PAGE, backwards: false });
        for (const message of messages) {
          if (message.seq !== seq + 1) throw replayUnavailable(afterSeq, `message seq ${seq + 1} is no longer stored`, maxReplay);
          if (events.length === maxReplay) throw replayUnavailable(afterSeq, `more than ${maxReplay} messages came after it and at most ${maxReplay} are replayed`, maxReplay);
          seq = message.seq;
          events.push({ type: 'MessageAdded', threadId, seq, message });
        }
        if (messages.length < REPLAY_PAGE) return events;
      }
    },
  };
}

/**
 * Runs have no seq: when the event log cannot be replayed, a run subscription re-reads the run,
 * and its filter drops the result when nothing changed.
 */
export function runRefreshSource(ctx: ExecutionContext & { userId: string }, runId: RunId, threadId: ThreadId): TailSource {
  return {
    // Every run change is relayed through the outbox, which logs it.
    coveredByLog: true,
    async missedSince() {
      const [run] = await findRunsByIds(ctx.uow.reader, ctx.userId, [runId]);
      return run ? [{ type: 'RunStatusChanged', threadId, run }] : [];
    },
  };
}
