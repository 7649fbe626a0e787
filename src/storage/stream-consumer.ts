import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { deadLetterEntry, recordIdsOf } from './dead-letters.js';
import { streamFieldsOf, type StreamRecord } from './stream-records.js';
import { decodeEachTime, type StreamDecoding } from './shared-stream-decoding.js';

export interface StreamEntry {
  id: string;
  record: StreamRecord;
}

export interface StreamConsumerOptions {
  /** A connection of its own: blocking reads hold it. */
  redis: Redis;
  stream: string;
  group: string;
  /** Unique per process; a restarted worker may reuse its name to take back its own pending entries. */
  consumer: string;
  /** How entries become records: each time (default), or once for every consumer of the process (shared-stream-decoding.ts). */
  decode?: StreamDecoding;
  /** Writes a batch; throws to have it retried. */
  handle: (entries: StreamEntry[]) => Promise<void>;
  /** Errors worth retrying forever (the target is down) rather than suspecting the entries. Default: none. */
  isTransient?: (error: unknown) => boolean;
  log: Logger;
  /** Entries per read. Default 500. */
  batchSize?: number;
  /** How long one read waits for entries, ms. Default 50. */
  blockMs?: number;
  /**
   * After a read that came back short of a full batch, wait until this long after that read
   * began before the next one, so a trickle of entries becomes fewer, larger writes (what
   * ClickHouse wants: few big inserts). A full batch means a backlog: the next read is at once.
   * Default 0.
   */
  minBatchIntervalMs?: number;
  /** Entries pending this long with a dead consumer are reclaimed (XAUTOCLAIM), ms. Default 30000. */
  claimIdleMs?: number;
  /** Backoff after a failure, doubled up to maxBackoffMs. Defaults 100 and 5000. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * At-least-once consumption of a Redis Stream through a consumer group: read a batch, hand it
 * over, XACK only after the handler succeeded. Entries of dead consumers are reclaimed; an entry
 * that cannot be parsed, or that the target refuses, goes to the dead-letter stream with its error
 * (see handleIsolatingFailures), so one poison entry blocks nothing and delays nobody.
 */
export function createStreamConsumer(options: StreamConsumerOptions) {
  const batchSize = options.batchSize ?? 500;
  const blockMs = options.blockMs ?? 50;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const minBatchIntervalMs = options.minBatchIntervalMs ?? 0;
  const isTransient = options.isTransient ?? (() => false);
  const decode = options.decode ?? decodeEachTime;
  const { redis, stream, group, consumer, log } = options;
  let running = false;
  let loop: Promise<void> | undefined;
  let backoffMs = 0;
  let lastClaimAt = 0;
  // Ends a pause early when stop() is called, so stopping never waits out an interval.
  let wakeUp: (() => void) | undefined;

  function pause(ms: number): Promise<void> {
    if (ms <= 0 || !running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      wakeUp = done;
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
    });
  }

  async function ensureGroup(): Promise<void> {
    try {
      await redis.xgroup('CREATE', stream, group, '0', 'MKSTREAM');
    } catch (error) {
      if (!String(error).includes('BUSYGROUP')) throw error;
    }
  }

  async function readBatch(id: '0' | '>'): Promise<Array<[string, string[]]>> {
    const blocking = id === '>' ? ['BLOCK', String(blockMs)] : [];
    const reply = (await redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(batchSize), ...blocking, 'STREAMS', stream, id)) as Array<[string, Array<[string, string[] | null]>]> | null;
    // Entries deleted while pending come back with null fields; they can only be acked.
    const entries = reply?.[0]?.[1] ?? [];
    const deleted = entries.filter(([, fields]) => fields === null).map(([entryId]) => entryId);
    if (deleted.length) await redis.xack(stream, group, ...deleted);
    return entries.filter((entry): entry is [string, string[]] => entry[1] !== null);
  }

  async function reclaimStale(): Promise<Array<[string, string[]]>> {
    if (Date.now() - lastClaimAt < claimIdleMs / 2) return [];
    lastClaimAt = Date.now();
    const [, entries] = (await redis.xautoclaim(stream, group, consumer, claimIdleMs, '0-0', 'COUNT', batchSize)) as [
      string,
      Array<[string, string[] | null]>,
    ];
    if (entries.length) log.warn({ stream, group, count: entries.length }, 'reclaimed entries left pending by a dead consumer');
    return entries.filter((entry): entry is [string, string[]] => entry[1] !== null);
  }

  async function processBatch(raw: Array<[string, string[]]>): Promise<void> {
    const valid: StreamEntry[] = [];
    for (const [id, fields] of raw) {
      try {
        valid.push({ id, record: decode(id, fields) });
      } catch (error) {
        await deadLetter(id, fields, error);
      }
    }
    if (valid.length > 0) await handleIsolatingFailures(valid);
  }

  /**
   * Hands entries over and acks them. A batch that fails for a reason that is not transient is
   * halved until each failing entry stands alone, and that entry is dead-lettered at once: the
   * rest of the batch is still written in a few large writes, and nobody waits out a backoff for
   * one bad entry (a verdict on the data does not change by trying again; the dead letter can be
   * replayed after a fix). A transient failure (the target is down) fails the whole read instead.
   */
  async function handleIsolatingFailures(entries: StreamEntry[]): Promise<void> {
    try {
      await options.handle(entries);
    } catch (error) {
      return isolateFailures(entries, error);
    }
    // Outside the try: a failed XACK says Redis is failing, nothing about the entries. It fails
    // the read; the entries stay pending, are read again, and the handler is idempotent.
    await redis.xack(stream, group, ...entries.map((entry) => entry.id));
  }

  async function isolateFailures(entries: StreamEntry[], error: unknown): Promise<void> {
    if (isTransient(error)) throw error;
    const [only] = entries;
    if (entries.length === 1 && only) return deadLetter(only.id, streamFieldsOf(only.record), error);
    log.warn({ err: error, stream, group, count: entries.length }, 'batch failed; isolating the failing entries');
    const middle = Math.ceil(entries.length / 2);
    await handleIsolatingFailures(entries.slice(0, middle));
    await handleIsolatingFailures(entries.slice(middle));
  }

  async function deadLetter(id: string, fields: string[], error: unknown): Promise<void> {
    // An operator must hear of this: when the group is the persister's, an acked message never reached Postgres.
    log.error({ err: error, stream, group, entryId: id, ...recordIdsOf(fields) }, 'dead-lettered a stream entry (list and replay: npm run dead-letters)');
    await deadLetterEntry(redis, { stream, group, id, fields }, error);
  }

  async function run(): Promise<void> {
    let ownPendingDone = false;
    while (running) {
      try {
        if (!ownPendingDone) await ensureGroup();
        const readAt = Date.now();
        // After a restart, first finish what this consumer had read but not acked.
        const raw = ownPendingDone ? [...(await reclaimStale()), ...(await readBatch('>'))] : await readBatch('0');
        if (!ownPendingDone && raw.length === 0) ownPendingDone = true;
        if (raw.length) {
          // Entries arrive in the same I/O wakeup as the events published with them. Going
          // after that wakeup's other callbacks lets a server that runs its workers in-process
          // fan those events out first: a background batch waits, real-time delivery does not.
          await new Promise((resolve) => setImmediate(resolve));
          await processBatch(raw);
        }
        backoffMs = 0;
        if (raw.length > 0 && raw.length < batchSize) await pause(minBatchIntervalMs - (Date.now() - readAt));
      } catch (error) {
        // What failed is still pending under this consumer's name: retry it first, at full speed,
        // instead of waiting for it to look abandoned to XAUTOCLAIM.
        ownPendingDone = false;
        backoffMs = Math.min(backoffMs ? backoffMs * 2 : (options.initialBackoffMs ?? 100), options.maxBackoffMs ?? 5_000);
        log.warn({ err: error, stream, group, retryInMs: backoffMs }, 'stream consumer failed; backing off');
        await pause(backoffMs);
      }
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Finishes the batch in hand, then stops reading. */
    async stop(): Promise<void> {
      running = false;
      wakeUp?.();
      await loop;
    },
  };
}

export type StreamConsumer = ReturnType<typeof createStreamConsumer>;
