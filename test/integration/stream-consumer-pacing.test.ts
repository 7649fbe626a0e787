import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ids } from '../../src/ids/generate-ids.js';
import { createStreamConsumer, type StreamConsumer, type StreamEntry } from '../../src/storage/stream-consumer.js';
import { streamFieldsOf } from '../../src/storage/stream-records.js';
import { redisUrlOf } from '../support/redis-databases.js';

// Database 13 is shared with stream-trim.test.ts, which only touches the persistence stream.
const redis = new Redis(redisUrlOf('streamConsumerPacing'));
const STREAM = 'test:consumer-pacing';
const threadId = ids.threadId('test');

// The consumer's clock is faked (Date and setTimeout, nothing else: Redis I/O and setImmediate
// stay real), so a pause lasts exactly until the test moves the clock: every check below is
// about which reads happen, never about how long anything took.
const realSetTimeout = globalThis.setTimeout;

/**
 * Polls `condition` on real timers. Not vi.waitFor nor support's waitFor: under fake timers the
 * first moves the fake clock on every poll, and the second sleeps on the faked setTimeout.
 */
async function settle(what: string, condition: () => boolean): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => realSetTimeout(resolve, 5));
  }
}

function messageFields(seq: number): string[] {
  return streamFieldsOf({
    type: 'message',
    record: {
      id: ids.messageId(), threadId, ownerId: 'pacing-user', runId: null, role: 'USER', content: `m${seq}`,
      metadata: {}, seq, clientMessageId: null, parts: null, actor: null, createdAt: new Date().toISOString(), status: 'COMPLETED', revision: 1, editedAt: null, deletedAt: null,
    },
  });
}

const seqsOf = (entries: StreamEntry[]) => entries.map((entry) => (entry.record.type === 'message' ? entry.record.record.seq : 0));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const addEntries = async (from: number, to: number) => {
  for (const seq of range(from, to)) await redis.xadd(STREAM, '*', ...messageFields(seq));
};

describe('stream consumer pacing (minBatchIntervalMs)', () => {
  let consumer: StreamConsumer | undefined;
  // Blocking reads hold a connection: each consumer gets its own.
  let connection: Redis | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await consumer?.stop();
    consumer = undefined;
    connection?.disconnect();
    await redis.del(STREAM);
  });
  afterAll(() => redis.disconnect());

  function start(minBatchIntervalMs: number, batchSize: number, handle: (entries: StreamEntry[]) => void = () => undefined) {
    const batches: StreamEntry[][] = [];
    consumer = createStreamConsumer({
      redis: (connection = redis.duplicate()), stream: STREAM, group: 'pacing', consumer: 'c1', log: pino({ level: 'silent' }),
      batchSize, blockMs: 20, minBatchIntervalMs,
      handle: async (entries) => {
        batches.push(entries);
        handle(entries);
      },
    });
    consumer.start();
    return batches;
  }

  it('after a short batch, reads again only minBatchIntervalMs after the last read began: a trickle becomes one batch', async () => {
    // Handling the first batch takes 100 ms of the consumer's clock: the pause is what is left of 300.
    const batches = start(300, 500, (entries) => {
      if (seqsOf(entries)[0] === 1) vi.setSystemTime(Date.now() + 100);
    });
    await addEntries(1, 1);
    await settle('the first batch', () => batches.length === 1);
    await settle('the consumer to pause', () => vi.getTimerCount() === 1);
    // Entries that trickle in during the pause wait in the stream...
    await addEntries(2, 60);
    vi.advanceTimersByTime(199);
    expect(batches, 'read again before the interval was over').toHaveLength(1);
    // ...and are read together when it ends.
    vi.advanceTimersByTime(1);
    await settle('the second batch', () => batches.length === 2);
    expect(batches.map(seqsOf)).toEqual([[1], range(2, 60)]);
  });

  it('drains a backlog without pausing: full batches are read back to back', async () => {
    await addEntries(1, 100);
    // The clock never moves: any pause between full batches would stop the drain here.
    const batches = start(10_000, 10);
    await settle('all 100 entries handled', () => batches.flat().length === 100);
    expect(batches.map((batch) => batch.length)).toEqual(Array(10).fill(10));
    expect(batches.flatMap(seqsOf)).toEqual(range(1, 100));
  });

  it('stop() ends a pause instead of waiting it out', async () => {
    const batches = start(60_000, 500);
    await addEntries(1, 1);
    await settle('the first batch', () => batches.length === 1);
    await settle('the consumer to pause', () => vi.getTimerCount() === 1);
    // The clock never moves: stop() can only return if it cut the 60 s pause short.
    const stopped = consumer!.stop().then(() => 'stopped');
    const hanging = new Promise((resolve) => realSetTimeout(resolve, 5_000, 'still pausing'));
    expect(await Promise.race([stopped, hanging])).toBe('stopped');
    consumer = undefined;
    await addEntries(2, 2);
    expect(batches.map(seqsOf)).toEqual([[1]]);
  });
});
