import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../../src/domain/message.js';
import { clientError } from '../../../src/errors/error-codes.js';
import { ids } from '../../../src/ids/generate-ids.js';
import type { ThreadId } from '../../../src/ids/id-types.js';
import { createSubscriptionRegistry } from '../../../src/realtime/subscription-registry.js';
import type { ThreadEvent } from '../../../src/realtime/thread-events.js';
import { openThreadTail, type TailItem, type TailSource } from '../../../src/realtime/thread-tail.js';
import type { ThreadEventLog } from '../../../src/storage/thread-event-log.js';

// The tail's ordering logic against an in-memory source and a registry without Redis: events are
// handed in through registry.deliver exactly as the Redis channel would.

const log = pino({ level: 'silent' });
const ctx = { userId: 'user-1', log };

function setup(options: { maxQueuedEvents?: number } = {}) {
  const registry = createSubscriptionRegistry({
    redis: null,
    log,
    maxSubscriptionsPerUser: 10,
    maxReplayMessages: 100,
    maxConcurrentReads: 5,
    maxQueuedEvents: options.maxQueuedEvents ?? 100,
  });
  const threadId = ids.threadId('test');
  const stored: Message[] = [];
  const message = (seq: number): Message => ({
    id: ids.messageId(),
    threadId,
    runId: null,
    role: 'USER',
    content: `m${seq}`,
    metadata: {},
    seq,
    clientMessageId: null,
    parts: null,
    actor: null,
    createdAt: new Date(0),
    status: 'COMPLETED',
    revision: 1,
    editedAt: null,
    deletedAt: null,
  });
  const added = (seq: number): ThreadEvent => ({ type: 'MessageAdded', threadId, seq, message: stored[seq - 1] ?? message(seq) });
  /** Stores messages up to `seq`, as a send would before publishing. */
  const store = (seq: number) => {
    while (stored.length < seq) stored.push(message(stored.length + 1));
  };
  let gate: Promise<void> = Promise.resolve();
  const source: TailSource = {
    coveredByLog: false,
    async missedSince(after) {
      await gate;
      return stored.filter((m) => m.seq > after).map((m) => added(m.seq));
    },
  };
  /** Holds replays until the returned function is called. */
  const holdReplays = () => {
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    return release;
  };
  const open = (afterSeq: number | null, tailSource: TailSource = source) =>
    openThreadTail({
      ctx,
      registry,
      threadId: threadId as ThreadId,
      start: { entry: '0-0', seq: afterSeq ?? 0, exact: false, replay: afterSeq !== null },
      log: null,
      messages: true,
      accepts: () => true,
      source: tailSource,
    });
  return { registry, threadId, store, added, open, holdReplays };
}

/** Pulls `count` items; the seqs of MessageAdded events, or the error code. */
async function take(tail: AsyncIterableIterator<TailItem>, count: number): Promise<Array<number | string>> {
  const seen: Array<number | string> = [];
  for (let i = 0; i < count; i++) {
    const { value, done } = await tail.next();
    if (done) break;
    if ('error' in value) seen.push(String(value.error.extensions.code));
    else seen.push(value.event.type === 'MessageAdded' ? value.event.seq : value.event.type);
  }
  return seen;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('openThreadTail', () => {
  it('replays after afterSeq, buffers live events meanwhile, and drains them without duplicates', async () => {
    const { registry, threadId, store, added, open, holdReplays } = setup();
    store(5);
    const release = holdReplays();
    const tail = open(2);
    store(7);
    // Published while the replay runs: 5 is also replayed, 6 and 7 are not yet read by it.
    for (const seq of [5, 6, 7]) registry.deliver(threadId, added(seq));
    release();
    expect(await take(tail, 5)).toEqual([3, 4, 5, 6, 7]);
    store(8);
    registry.deliver(threadId, added(8));
    expect(await take(tail, 1)).toEqual([8]);
    await tail.return!();
    expect(registry.size).toBe(0);
  });

  it('closes a gap in the live stream from storage (a message written but not published)', async () => {
    const { registry, threadId, store, added, open } = setup();
    const tail = open(0);
    await tick();
    store(1);
    registry.deliver(threadId, added(1));
    store(4);
    registry.deliver(threadId, added(4));
    expect(await take(tail, 4)).toEqual([1, 2, 3, 4]);
    await tail.return!();
  });

  it('ends with REPLAY_UNAVAILABLE when a gap cannot be read, rather than skipping or looping', async () => {
    const { registry, threadId, added, open } = setup();
    const tail = open(0);
    await tick();
    registry.deliver(threadId, added(3));
    expect(await take(tail, 2)).toEqual(['REPLAY_UNAVAILABLE']);
    expect(registry.size).toBe(0);
  });

  it('catches up after a Redis reconnect and skips what it already delivered', async () => {
    const { registry, threadId, store, added, open } = setup();
    const tail = open(0);
    await tick();
    store(1);
    registry.deliver(threadId, added(1));
    expect(await take(tail, 1)).toEqual([1]);
    store(3); // published while Redis was unreachable: never arrives live
    registry.resyncAll();
    expect(await take(tail, 2)).toEqual([2, 3]);
    registry.deliver(threadId, added(3));
    store(4);
    registry.deliver(threadId, added(4));
    expect(await take(tail, 1)).toEqual([4]);
    await tail.return!();
  });

  it('passes seq-less events through in arrival order', async () => {
    const { registry, threadId, open } = setup();
    const tail = open(null);
    await tick();
    const run = { type: 'RunStatusChanged', threadId } as unknown as ThreadEvent;
    registry.deliver(threadId, run);
    registry.deliver(threadId, run);
    expect(await take(tail, 2)).toEqual(['RunStatusChanged', 'RunStatusChanged']);
    await tail.return!();
  });

  it('makes a replay error the first item and unregisters', async () => {
    const { registry, open } = setup();
    const failing: TailSource = { coveredByLog: false, missedSince: async () => Promise.reject(clientError('REPLAY_UNAVAILABLE', 'too far back')) };
    const tail = open(0, failing);
    expect(await take(tail, 3)).toEqual(['REPLAY_UNAVAILABLE']);
    expect(registry.size).toBe(0);
  });

  it('ends a subscriber that stops reading with LIMIT_EXCEEDED instead of queueing without bound', async () => {
    const { registry, threadId, store, added, open } = setup({ maxQueuedEvents: 3 });
    const tail = open(0);
    await tick();
    store(10);
    for (let seq = 1; seq <= 10; seq++) registry.deliver(threadId, added(seq));
    expect(await take(tail, 5)).toEqual(['LIMIT_EXCEEDED']);
    expect(registry.size).toBe(0);
  });

  it('lets a subscription with an event log queue twice what the log keeps, so a whole replay fits, and no more', async () => {
    const { registry, threadId, store, added } = setup({ maxQueuedEvents: 3 });
    // A log that cannot be read: catch-ups come from the store, but the log's size sets the bound.
    const log = { limits: { maxEvents: 10, ttlSeconds: 60 }, read: async () => null, open: async () => '0-0' } as unknown as ThreadEventLog;
    const openWithLog = (seq: number) =>
      openThreadTail({ ctx, registry, threadId: threadId as ThreadId, start: { entry: '0-0', seq, exact: false, replay: true }, log, messages: true, accepts: () => true, source: { coveredByLog: false, missedSince: async () => [] } });
    const fits = openWithLog(0);
    await tick();
    store(20);
    for (let seq = 1; seq <= 20; seq++) registry.deliver(threadId, added(seq));
    expect(await take(fits, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await fits.return!();

    const over = openWithLog(20);
    await tick();
    store(41);
    for (let seq = 21; seq <= 41; seq++) registry.deliver(threadId, added(seq));
    expect(await take(over, 25)).toEqual(['LIMIT_EXCEEDED']);
  });

  it('is removed from the registry on return(), on close(), and only once', async () => {
    const { registry, open } = setup();
    const [first, second] = [open(null), open(null)];
    expect(registry.size).toBe(2);
    await first.return!();
    await first.return!();
    expect(registry.size).toBe(1);
    await registry.close();
    expect(registry.size).toBe(0);
    expect(await second.next()).toEqual({ done: true, value: undefined });
  });
});
