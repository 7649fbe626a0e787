import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { ids } from '../../src/ids/generate-ids.js';
import { createStreamConsumer, type StreamConsumer, type StreamEntry } from '../../src/storage/stream-consumer.js';
import { streamFieldsOf } from '../../src/storage/stream-records.js';
import { waitFor } from '../support/stored-messages.js';

// Database 13 is shared with stream-trim.test.ts, which only touches the persistence stream.
const redis = new Redis(`${inject('redisUrl')}/13`);
const STREAM = 'test:consumer-pacing';
const threadId = ids.threadId('test');

function messageFields(seq: number): string[] {
  return streamFieldsOf({
    type: 'message',
    record: {
      id: ids.messageId(), threadId, ownerId: 'pacing-user', runId: null, role: 'USER', content: `m${seq}`,
      metadata: {}, seq, clientMessageId: null, createdAt: new Date().toISOString(), status: 'COMPLETED',
    },
  });
}

describe('stream consumer pacing (minBatchIntervalMs)', () => {
  let consumer: StreamConsumer | undefined;
  // Blocking reads hold a connection: each consumer gets its own.
  let connection: Redis | undefined;
  afterEach(async () => {
    await consumer?.stop();
    connection?.disconnect();
    await redis.del(STREAM);
  });
  afterAll(() => redis.disconnect());

  function start(minBatchIntervalMs: number, batchSize: number) {
    const batches: StreamEntry[][] = [];
    consumer = createStreamConsumer({
      redis: (connection = redis.duplicate()), stream: STREAM, group: 'pacing', consumer: 'c1', log: pino({ level: 'silent' }),
      batchSize, blockMs: 20, minBatchIntervalMs, handle: async (entries) => void batches.push(entries),
    });
    consumer.start();
    return batches;
  }

  it('turns a trickle into few batches: entries 10 ms apart, reads at least 300 ms apart', async () => {
    const batches = start(300, 500);
    for (let seq = 1; seq <= 60; seq++) {
      await redis.xadd(STREAM, '*', ...messageFields(seq));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await waitFor('all 60 entries handled', async () => batches.flat().length === 60, 5_000);
    // Unpaced, a 20 ms blocking read would hand over nearly one entry per batch.
    expect(batches.length).toBeLessThanOrEqual(5);
    expect(batches.flat().map((entry) => (entry.record.type === 'message' ? entry.record.record.seq : 0))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });

  it('drains a backlog without pausing: full batches are read back to back', async () => {
    for (let seq = 1; seq <= 100; seq++) await redis.xadd(STREAM, '*', ...messageFields(seq));
    const started = Date.now();
    const batches = start(10_000, 10);
    await waitFor('all 100 entries handled', async () => batches.flat().length === 100, 5_000);
    expect(batches.every((batch) => batch.length === 10)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stop() does not wait out a pause', async () => {
    const batches = start(60_000, 500);
    await redis.xadd(STREAM, '*', ...messageFields(1));
    await waitFor('the entry handled', async () => batches.length === 1, 5_000);
    const stopping = Date.now();
    await consumer!.stop();
    consumer = undefined;
    expect(Date.now() - stopping).toBeLessThan(1_000);
  });
});
