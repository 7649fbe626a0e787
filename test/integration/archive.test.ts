import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createArchiveQueries, type ArchiveQueries } from '../../src/archive/analytics-queries.js';
import { migrateArchive } from '../../src/archive/archive-migrations.js';
import { createArchiver, type Archiver } from '../../src/archive/archiver.js';
import { countValue, createArchiveClient, type ArchiveClient } from '../../src/archive/clickhouse-client.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { RunStatus } from '../../src/domain/run.js';
import { InvalidInputError } from '../../src/errors/domain-errors.js';
import { ids } from '../../src/ids/generate-ids.js';
import type { RunId, ThreadId } from '../../src/ids/id-types.js';
import { CONSUMER_GROUPS, DEAD_LETTER_STREAM, PERSISTENCE_STREAM, threadKeys } from '../../src/storage/redis-keys.js';
import { streamFieldsOf, type StreamRecord } from '../../src/storage/stream-records.js';
import { createSharedStreamDecoding } from '../../src/storage/shared-stream-decoding.js';
import { createStreamConsumer, type StreamEntry } from '../../src/storage/stream-consumer.js';
import { freePort } from '../support/free-port.js';

// Real services only: a redis-server spawned here, and embedded ClickHouse (chDB). chDB binds one
// data path per process, so the path is keyed by the worker's pid.
const CHDB_PATH = path.join(os.tmpdir(), `threadline-chdb-${process.pid}`);
const silent = pino({ level: 'silent' });

let redisServer: ChildProcess;
let redisPort: number;
let archive: ArchiveClient;
let queries: ArchiveQueries;
let redis: Redis;
const opened: Redis[] = [];
const running: Archiver[] = [];

beforeAll(async () => {
  redisPort = await freePort();
  redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  redis = connectRedis();
  await waitFor(async () => (await redis.ping().catch(() => '')) === 'PONG');
  archive = await createArchiveClient({ kind: 'embedded', path: CHDB_PATH }, silent);
  await migrateArchive(archive, silent);
  queries = createArchiveQueries(archive);
});

afterAll(async () => {
  await Promise.all(opened.map((connection) => connection.quit().catch(() => undefined)));
  await archive?.close();
  redisServer?.kill('SIGKILL');
  await rm(CHDB_PATH, { recursive: true, force: true });
});

beforeEach(async () => {
  await redis.flushall();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((archiver) => archiver.stop()));
});

function connectRedis(): Redis {
  const connection = new Redis({ host: '127.0.0.1', port: redisPort, maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  connection.on('error', () => undefined);
  opened.push(connection);
  return connection;
}

function testConfig(): Config {
  return loadConfig({ NODE_ENV: 'test', ARCHIVE_BATCH_SIZE: '50', PERSISTER_BLOCK_MS: '20', PERSISTER_CLAIM_IDLE_MS: '200' });
}

function startArchiver(client: ArchiveClient, consumer: string, log: Logger = silent): Archiver {
  const archiver = createArchiver({ redis: connectRedis(), archive: client, config: testConfig(), log, consumer });
  archiver.start();
  running.push(archiver);
  return archiver;
}

/** Builds stream records for one owner: valid IDs, chosen times. */
function archiveSeed(ownerId: string) {
  const plusMs = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms).toISOString();
  return {
    thread: (): ThreadId => ids.threadId('test'),
    message(threadId: ThreadId, seq: number, createdAt: string, content = 'hello', toolNames: string[] = []): StreamRecord & { type: 'message' } {
      const parts = toolNames.length ? toolNames.map((name, n) => ({ type: 'toolCall' as const, callId: `call-${seq}-${n}`, name, arguments: {} })) : null;
      const record = { id: ids.messageId(), threadId, ownerId, runId: null, role: 'USER' as const, content, metadata: {}, seq, clientMessageId: null, parts, actor: null, createdAt, status: 'COMPLETED' as const, revision: 1, editedAt: null, deletedAt: null };
      return { type: 'message', record };
    },
    /** QUEUED at createdAt, IN_PROGRESS a second later, then `final` after `seconds` (if given). */
    run(threadId: ThreadId, createdAt: string, final?: { status: RunStatus; seconds: number }): { runId: RunId; records: StreamRecord[] } {
      const runId = ids.runId(threadId);
      const startedAt = plusMs(createdAt, 1_000);
      const base = { id: runId, threadId, ownerId, metadata: {}, error: null, createdAt, completedAt: null, actor: null, model: null, usage: null };
      const records: StreamRecord[] = [
        { type: 'run', record: { ...base, status: 'QUEUED', startedAt: null, at: createdAt } },
        { type: 'run', record: { ...base, status: 'IN_PROGRESS', startedAt, at: startedAt } },
      ];
      if (final) {
        const completedAt = plusMs(startedAt, final.seconds * 1_000);
        records.push({ type: 'run', record: { ...base, status: final.status, startedAt, completedAt, at: completedAt } });
      }
      return { runId, records };
    },
  };
}

async function xaddAll(records: readonly StreamRecord[]): Promise<void> {
  for (const record of records) await redis.xadd(PERSISTENCE_STREAM, '*', ...streamFieldsOf(record));
}

/** Entries the archive group has read but not acked. */
async function pendingCount(): Promise<number> {
  try {
    const [count] = (await redis.xpending(PERSISTENCE_STREAM, CONSUMER_GROUPS.clickhouse)) as [number];
    return count;
  } catch (error) {
    // The archiver creates its group when it starts; until then nothing is pending.
    if (String(error).includes('NOGROUP')) return 0;
    throw error;
  }
}

/** True once the archive group has read and acked every entry in the stream. */
async function drained(): Promise<boolean> {
  const groups = (await redis.xinfo('GROUPS', PERSISTENCE_STREAM)) as unknown[][];
  const group = groups.map(fieldMap).find((fields) => fields.get('name') === CONSUMER_GROUPS.clickhouse);
  const lastId = ((await redis.xrevrange(PERSISTENCE_STREAM, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0') as string;
  return group !== undefined && group.get('last-delivered-id') === lastId && Number(group.get('pending')) === 0;
}

/** Rows in ClickHouse for an owner, after collapsing duplicates: what "exactly once" means here. */
async function archivedRows(table: 'messages_archive' | 'run_transitions', ownerId: string): Promise<number> {
  const [row] = await archive.query('testCountRows', `SELECT count() AS n FROM ${table} FINAL WHERE owner_id = {ownerId:String}`, { ownerId }, z.object({ n: countValue }));
  return row?.n ?? 0;
}

/** Wraps the real client, counting rows sent per table: shows that duplicates really were inserted. */
function countingClient(client: ArchiveClient, afterInsert?: (table: string) => void) {
  const sent = new Map<string, number>();
  const counting: ArchiveClient = {
    ...client,
    async insert(name, table, rows) {
      await client.insert(name, table, rows);
      sent.set(table, (sent.get(table) ?? 0) + rows.length);
      if (rows.length) afterInsert?.(table);
    },
  };
  return { client: counting, sent };
}

describe('archive migrations', () => {
  it('are recorded once applied, so a second start-up applies nothing', async () => {
    expect(await migrateArchive(archive, silent)).toEqual([]);
    const applied = await archive.query('testListMigrations', 'SELECT name FROM threadline_migrations FINAL ORDER BY name', {}, z.object({ name: z.string() }));
    expect(applied.map((row) => row.name)).toEqual(['2026-11-22T0200_messages_archive', '2026-11-22T0201_run_transitions', '2026-12-06T0000_actors', '2026-12-06T0100_message_parts', '2026-12-06T0800_run_usage', '2026-12-06T0810_message_feedback', '2026-12-06T0900_message_revisions']);
  });
});

describe('archiver', () => {
  it('archives every message and run transition once and advances the archived watermark', async () => {
    const ownerId = `owner-${randomUUID()}`;
    const seed = archiveSeed(ownerId);
    const threadId = seed.thread();
    await redis.hset(threadKeys(threadId).meta, 'owner', ownerId, 'archived', '0');
    const messages = [1, 2, 3].map((seq) => seed.message(threadId, seq, '2026-06-01T10:00:00.000Z', 'héllo'));
    const run = seed.run(threadId, '2026-06-01T10:00:00.000Z', { status: 'COMPLETED', seconds: 5 });
    await xaddAll([...messages, ...run.records]);

    startArchiver(archive, 'archiver-1');
    await waitFor(drained);

    expect(await archivedRows('messages_archive', ownerId)).toBe(3);
    expect(await archivedRows('run_transitions', ownerId)).toBe(3);
    expect(await redis.hget(threadKeys(threadId).meta, 'archived')).toBe('3');
    const [row] = await archive.query(
      'testReadMessage',
      `SELECT seq, content_bytes AS bytes, toString(created_at) AS createdAt FROM messages_archive FINAL WHERE owner_id = {ownerId:String} AND seq = 2`,
      { ownerId },
      z.object({ seq: countValue, bytes: z.number(), createdAt: z.string() }),
    );
    expect(row).toEqual({ seq: 2, bytes: 6, createdAt: '2026-06-01 10:00:00.000' });
  });

  it('keeps exactly one row per record when the stream redelivers it', async () => {
    const ownerId = `owner-${randomUUID()}`;
    const seed = archiveSeed(ownerId);
    const threadId = seed.thread();
    const records = [seed.message(threadId, 1, '2026-06-01T10:00:00.000Z'), seed.message(threadId, 2, '2026-06-01T11:00:00.000Z')];
    const run = seed.run(threadId, '2026-06-01T10:00:00.000Z', { status: 'FAILED', seconds: 2 });
    // The same records appended twice, as a producer retrying its XADD would.
    await xaddAll([...records, ...run.records, ...records, ...run.records]);
    const { client, sent } = countingClient(archive);

    startArchiver(client, 'archiver-1');
    await waitFor(drained);
    // And every entry delivered again, as after a consumer group reset.
    await redis.xgroup('SETID', PERSISTENCE_STREAM, CONSUMER_GROUPS.clickhouse, '0');
    await waitFor(async () => (sent.get('messages_archive') ?? 0) === 8 && (await drained()));

    expect(sent.get('run_transitions')).toBe(12);
    expect(await archivedRows('messages_archive', ownerId)).toBe(2);
    expect(await archivedRows('run_transitions', ownerId)).toBe(3);
    const range = [new Date('2026-06-01T00:00:00Z'), new Date('2026-06-02T00:00:00Z')] as const;
    expect(await queries.messagesPerDay(ownerId, ...range)).toEqual([{ day: '2026-06-01', count: 2 }]);
    expect(await queries.runStatusCounts(ownerId, ...range)).toEqual([{ status: 'FAILED', count: 1 }]);
  });

  it('keeps the completed form of a streamed message, whichever form arrives last', async () => {
    const ownerId = `owner-${randomUUID()}`;
    const seed = archiveSeed(ownerId);
    const threadId = seed.thread();
    const streamed = (seq: number) => {
      const draft = seed.message(threadId, seq, '2026-06-01T10:00:00.000Z', 'He');
      return {
        draft: { type: 'message', record: { ...draft.record, status: 'IN_PROGRESS' } } as StreamRecord,
        completed: { type: 'messageCompleted', record: { ...draft.record, content: 'Hello, world' } } as StreamRecord,
      };
    };
    const [inOrder, reordered] = [streamed(1), streamed(2)];
    await xaddAll([inOrder.draft, inOrder.completed, reordered.completed, reordered.draft, inOrder.draft]);

    startArchiver(archive, 'archiver-1');
    await waitFor(drained);

    const rows = await archive.query(
      'testReadStreamedMessages',
      `SELECT seq, status, content_bytes AS bytes FROM messages_archive FINAL WHERE owner_id = {ownerId:String} ORDER BY seq`,
      { ownerId },
      z.object({ seq: countValue, status: z.string(), bytes: z.number() }),
    );
    expect(rows).toEqual([
      { seq: 1, status: 'COMPLETED', bytes: 12 },
      { seq: 2, status: 'COMPLETED', bytes: 12 },
    ]);
    expect(await queries.messagesPerDay(ownerId, new Date('2026-06-01T00:00:00Z'), new Date('2026-06-02T00:00:00Z'))).toEqual([
      { day: '2026-06-01', count: 2 },
    ]);
  });

  it('re-archives harmlessly what a worker inserted but never acked before it died', async () => {
    const ownerId = `owner-${randomUUID()}`;
    const seed = archiveSeed(ownerId);
    const threadId = seed.thread();
    await xaddAll([1, 2, 3, 4].map((seq) => seed.message(threadId, seq, '2026-06-01T10:00:00.000Z')));
    // The insert reaches ClickHouse, then the worker "dies" before XACK.
    let crashed = false;
    const { client: crashing } = countingClient(archive, (table) => {
      if (table !== 'messages_archive') return;
      crashed = true;
      throw new Error('worker died after insert');
    });
    const first = startArchiver(crashing, 'archiver-1');
    await waitFor(async () => crashed && (await pendingCount()) === 4);
    await first.stop();
    expect(await archivedRows('messages_archive', ownerId)).toBe(4);

    // The restarted worker takes back its own pending entries and archives them again.
    startArchiver(archive, 'archiver-1');
    await waitFor(drained);
    expect(await archivedRows('messages_archive', ownerId)).toBe(4);
    expect(await redis.xlen(DEAD_LETTER_STREAM)).toBe(0);
  });

  it('lets the archive lag while ClickHouse is unreachable and catch up when it returns', async () => {
    const ownerId = `owner-${randomUUID()}`;
    const seed = archiveSeed(ownerId);
    const threadId = seed.thread();
    const logged: Array<{ query?: string; msg?: string }> = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const unreachable = await createArchiveClient({ kind: 'external', url: 'http://127.0.0.1:1' }, log, { maxAttempts: 2, initialBackoffMs: 10, timeoutMs: 500 });
    await xaddAll(Array.from({ length: 20 }, (_, i) => seed.message(threadId, i + 1, '2026-06-01T10:00:00.000Z')));

    const down = startArchiver(unreachable, 'archiver-down', log);
    await waitFor(async () => (await pendingCount()) === 20 && logged.some((line) => line.msg === 'stream consumer failed; backing off'));
    // More traffic while the archive is down: it waits in the stream too.
    await xaddAll(Array.from({ length: 10 }, (_, i) => seed.message(threadId, i + 21, '2026-06-01T11:00:00.000Z')));
    await sleep(300);
    expect(await archivedRows('messages_archive', ownerId)).toBe(0);
    expect(await redis.xlen(DEAD_LETTER_STREAM)).toBe(0);
    expect(logged.some((line) => line.query === 'insertArchivedMessages' && line.msg === 'ClickHouse query failed')).toBe(true);
    await down.stop();
    await unreachable.close();

    // ClickHouse is back (a worker that reaches it): the stale pending entries are reclaimed.
    startArchiver(archive, 'archiver-up');
    await waitFor(drained);
    expect(await archivedRows('messages_archive', ownerId)).toBe(30);
    expect(await redis.xlen(DEAD_LETTER_STREAM)).toBe(0);
  });

  it('catches up by itself when ClickHouse returns to a worker that outlived the outage', async () => {
    const ownerId = `owner-${randomUUID()}`;
    const seed = archiveSeed(ownerId);
    const threadId = seed.thread();
    const unreachable = await createArchiveClient({ kind: 'external', url: 'http://127.0.0.1:1' }, silent, { maxAttempts: 1, timeoutMs: 500 });
    // Two real clients behind one: the address the worker talks to starts answering again.
    let target = unreachable;
    const returning: ArchiveClient = { ...archive, insert: (name, table, rows) => target.insert(name, table, rows) };
    await xaddAll(Array.from({ length: 40 }, (_, i) => seed.message(threadId, i + 1, '2026-06-01T10:00:00.000Z')));

    startArchiver(returning, 'archiver-1');
    await waitFor(async () => (await pendingCount()) > 0);
    expect(await archivedRows('messages_archive', ownerId)).toBe(0);
    target = archive;
    await waitFor(drained);
    expect(await archivedRows('messages_archive', ownerId)).toBe(40);
    expect(await redis.xlen(DEAD_LETTER_STREAM)).toBe(0);
    await unreachable.close();
  });

  it('dead-letters poison entries with their error and archives the rest', async () => {
    const ownerId = `owner-${randomUUID()}`;
    const seed = archiveSeed(ownerId);
    const threadId = seed.thread();
    await redis.xadd(PERSISTENCE_STREAM, '*', 'type', 'message', 'data', '{not json');
    await redis.xadd(PERSISTENCE_STREAM, '*', 'type', 'message', 'data', JSON.stringify({ id: 'msg_nope' }));
    await redis.xadd(PERSISTENCE_STREAM, '*', 'type', 'teleport', 'data', '{}');
    await xaddAll([seed.message(threadId, 1, '2026-06-01T10:00:00.000Z')]);

    startArchiver(archive, 'archiver-1');
    await waitFor(drained);

    expect(await archivedRows('messages_archive', ownerId)).toBe(1);
    const dead = (await redis.xrange(DEAD_LETTER_STREAM, '-', '+')).map(([, fields]) => fieldMap(fields));
    expect(dead).toHaveLength(3);
    for (const entry of dead) {
      expect(entry.get('group')).toBe(CONSUMER_GROUPS.clickhouse);
      expect(entry.get('source')).toBe(PERSISTENCE_STREAM);
      expect(String(entry.get('error'))).not.toBe('');
    }
    expect(String(dead[2]?.get('error'))).toContain('teleport');
  });

  it('shares one decoding of each entry with another group of the process; poison is still dead-lettered by each', async () => {
    const ownerId = `owner-${randomUUID()}`;
    const seed = archiveSeed(ownerId);
    const threadId = seed.thread();
    await redis.xadd(PERSISTENCE_STREAM, '*', 'type', 'message', 'data', '{not json');
    await xaddAll([1, 2, 3].map((seq) => seed.message(threadId, seq, '2026-06-01T10:00:00.000Z', `shared ${seq}`, ['search'])));
    const decode = createSharedStreamDecoding(2);
    // The other group, as the persister would read: a real consumer group on the same stream.
    const otherGroup = 'shared-decoding-test';
    const seenByOther: StreamEntry[] = [];
    const other = createStreamConsumer({
      redis: connectRedis(), stream: PERSISTENCE_STREAM, group: otherGroup, consumer: 'other-1', decode, log: silent, blockMs: 20,
      handle: async (entries) => void seenByOther.push(...entries),
    });
    const seenByArchiver: StreamEntry[] = [];
    const archiver = createArchiver({
      redis: connectRedis(), archive, config: testConfig(), log: silent, consumer: 'archiver-1',
      decode: (entryId, fields) => {
        const record = decode(entryId, fields);
        seenByArchiver.push({ id: entryId, record });
        return record;
      },
    });
    other.start();
    archiver.start();
    running.push(archiver);
    try {
      await waitFor(async () => (await drained()) && seenByOther.length === 3);
    } finally {
      await other.stop();
    }
    expect(await archivedRows('messages_archive', ownerId)).toBe(3);
    expect(seenByArchiver.map((entry) => entry.record.record)).toMatchObject([{ seq: 1 }, { seq: 2 }, { seq: 3 }]);
    // The same objects: decoded once between the two groups.
    for (const entry of seenByOther) expect(seenByArchiver.find((mine) => mine.id === entry.id)?.record).toBe(entry.record);
    const dead = (await redis.xrange(DEAD_LETTER_STREAM, '-', '+')).map(([, fields]) => fieldMap(fields));
    expect(dead.map((entry) => entry.get('group')).sort()).toEqual([CONSUMER_GROUPS.clickhouse, otherGroup].sort());
  });
});

describe('analytics queries', () => {
  const from = new Date('2026-06-01T00:00:00.000Z');
  const to = new Date('2026-06-04T00:00:00.000Z');

  /** Owner A's data, with one record outside the range on each side; owner B's data in the same range. */
  async function seedTwoOwners() {
    const ownerA = `owner-a-${randomUUID()}`;
    const a = archiveSeed(ownerA);
    const [t1, t2] = [a.thread(), a.thread()];
    const messages = [
      a.message(t1, 1, '2026-05-31T23:59:59.999Z', 'before the range', ['early']),
      a.message(t1, 2, '2026-06-01T10:00:00.000Z', '', ['search', 'weather']),
      a.message(t1, 3, '2026-06-01T10:00:01.000Z', '', ['search']),
      a.message(t1, 4, '2026-06-02T10:00:00.000Z'),
      a.message(t1, 5, '2026-06-02T11:00:00.000Z'),
      a.message(t1, 6, '2026-06-02T12:00:00.000Z'),
      a.message(t1, 7, '2026-06-04T00:00:00.000Z'),
      a.message(t2, 1, '2026-06-01T23:59:59.999Z'),
      a.message(t2, 2, '2026-06-03T00:00:00.000Z'),
    ];
    const runs = [
      ...[10, 20, 30, 40, 100].map((seconds) => a.run(t1, '2026-06-02T09:00:00.000Z', { status: 'COMPLETED', seconds })),
      a.run(t1, '2026-06-02T09:00:00.000Z', { status: 'FAILED', seconds: 3 }),
      a.run(t2, '2026-06-02T09:00:00.000Z'),
      a.run(t2, '2026-05-20T09:00:00.000Z', { status: 'COMPLETED', seconds: 1_000 }),
    ].flatMap((run) => run.records);
    const ownerB = `owner-b-${randomUUID()}`;
    const b = archiveSeed(ownerB);
    const tb = b.thread();
    const others = [
      ...[1, 2, 3, 4].map((seq) => b.message(tb, seq, '2026-06-01T12:00:00.000Z', 'hello', seq === 1 ? ['someone_elses_tool'] : [])),
      ...b.run(tb, '2026-06-02T09:00:00.000Z', { status: 'COMPLETED', seconds: 5_000 }).records,
    ];
    // Everything twice: analytics must not depend on ClickHouse having merged duplicates away.
    await xaddAll([...messages, ...runs, ...others, ...messages, ...runs]);
    startArchiver(archive, 'archiver-1');
    await waitFor(drained);
    return { ownerA, ownerB, t1, t2 };
  }

  it("answers for one owner over [from, to), never counting another owner's rows", async () => {
    const { ownerA, ownerB, t1, t2 } = await seedTwoOwners();

    expect(await queries.messagesPerDay(ownerA, from, to)).toEqual([
      { day: '2026-06-01', count: 3 },
      { day: '2026-06-02', count: 3 },
      { day: '2026-06-03', count: 1 },
    ]);
    expect(await queries.threadMessageCounts(ownerA, from, to, 20)).toEqual([
      { threadId: t1, count: 5 },
      { threadId: t2, count: 2 },
    ]);
    expect(await queries.threadMessageCounts(ownerA, from, to, 1)).toEqual([{ threadId: t1, count: 5 }]);
    // Exact, interpolated: p50 of 10,20,30,40,100 is 30; p95 sits 0.8 of the way from 40 to 100.
    expect(await queries.runDurationPercentiles(ownerA, from, to)).toEqual({ count: 5, p50Seconds: 30, p95Seconds: 88 });
    expect(await queries.runStatusCounts(ownerA, from, to)).toEqual([
      { status: 'COMPLETED', count: 5 },
      { status: 'FAILED', count: 1 },
      { status: 'IN_PROGRESS', count: 1 },
    ]);

    // Each call once, though every message was archived twice; none from outside the range.
    expect(await queries.toolCalls(ownerA, from, to)).toEqual([{ name: 'search', count: 2 }, { name: 'weather', count: 1 }]);

    expect(await queries.messagesPerDay(ownerB, from, to)).toEqual([{ day: '2026-06-01', count: 4 }]);
    expect(await queries.toolCalls(ownerB, from, to)).toEqual([{ name: 'someone_elses_tool', count: 1 }]);
    expect(await queries.runDurationPercentiles(ownerB, from, to)).toEqual({ count: 1, p50Seconds: 5_000, p95Seconds: 5_000 });
  });

  it("sums tokens per day and model, each run once at its latest report, never another owner's", async () => {
    const owner = `owner-${randomUUID()}`;
    const a = archiveSeed(owner);
    const thread = a.thread();
    /** A run's transitions, each carrying the usage the run had reported by then (null: none yet). */
    const reported = (createdAt: string, model: string | null, usages: Array<[number, number] | null>) =>
      a.run(thread, createdAt, { status: 'COMPLETED', seconds: 10 }).records.map((entry, index) => {
        if (entry.type !== 'run') throw new Error('a run record expected');
        const usage = usages[index] ?? null;
        return { ...entry, record: { ...entry.record, model, usage: usage && { inputTokens: usage[0], outputTokens: usage[1] } } };
      });
    const records = [
      // Three transitions each, usage growing: the last report counts, once.
      ...reported('2026-06-01T10:00:00.000Z', 'm-a', [null, [10, 1], [100, 20]]),
      ...reported('2026-06-01T23:00:00.000Z', 'm-a', [[5, 5], [5, 5], [7, 3]]),
      ...reported('2026-06-01T12:00:00.000Z', 'm-b', [null, null, [1, 2]]),
      ...reported('2026-06-02T08:00:00.000Z', 'm-a', [null, [40, 4], [40, 4]]),
      ...reported('2026-06-02T09:00:00.000Z', null, [null, [3, 3], [3, 3]]),
      // Never reported: absent. Outside the range: absent.
      ...reported('2026-06-02T10:00:00.000Z', 'm-a', [null, null, null]),
      ...reported('2026-06-04T00:00:00.000Z', 'm-a', [null, null, [1_000, 1_000]]),
    ];
    const otherOwner = `owner-${randomUUID()}`;
    const b = archiveSeed(otherOwner);
    const others = b.run(b.thread(), '2026-06-01T10:00:00.000Z', { status: 'COMPLETED', seconds: 1 }).records.map((entry) =>
      entry.type === 'run' ? { ...entry, record: { ...entry.record, model: 'm-a', usage: { inputTokens: 500, outputTokens: 500 } } } : entry,
    );
    // Everything twice, as redelivery does.
    await xaddAll([...records, ...others, ...records]);
    startArchiver(archive, 'archiver-1');
    await waitFor(drained);

    expect(await queries.tokenUsage(owner, from, to)).toEqual([
      { day: '2026-06-01', model: 'm-a', inputTokens: 107, outputTokens: 23 },
      { day: '2026-06-01', model: 'm-b', inputTokens: 1, outputTokens: 2 },
      { day: '2026-06-02', model: 'm-a', inputTokens: 40, outputTokens: 4 },
      { day: '2026-06-02', model: null, inputTokens: 3, outputTokens: 3 },
    ]);
    expect(await queries.tokenUsage(otherOwner, from, to)).toEqual([{ day: '2026-06-01', model: 'm-a', inputTokens: 500, outputTokens: 500 }]);
    expect(await queries.tokenUsage(`owner-${randomUUID()}`, from, to)).toEqual([]);
  });

  it("counts ratings per day, each message once at its latest rating, in range by that rating, never another owner's", async () => {
    const owner = `owner-${randomUUID()}`;
    const thread = ids.threadId('test');
    const rating = (ownerId: string, messageId: string, score: -1 | 1, ratedAt: string): StreamRecord => ({
      type: 'feedback',
      record: { messageId, threadId: thread, ownerId, score, hasComment: false, ratedAt },
    });
    const [m1, m2, m3, m4, m5] = [1, 2, 3, 4, 5].map((): string => ids.messageId()) as [string, string, string, string, string];
    const records = [
      rating(owner, m1, 1, '2026-06-01T10:00:00.000Z'),
      // Re-rated the next day: counts once, on the day of its latest rating, as that score.
      rating(owner, m2, 1, '2026-06-01T11:00:00.000Z'),
      rating(owner, m2, -1, '2026-06-02T09:00:00.000Z'),
      rating(owner, m3, -1, '2026-06-02T10:00:00.000Z'),
      // Rated in range, re-rated after it: its latest rating is outside, so it counts nowhere.
      rating(owner, m4, 1, '2026-06-01T12:00:00.000Z'),
      rating(owner, m4, -1, '2026-06-04T00:00:00.000Z'),
      rating(`owner-${randomUUID()}`, m5, 1, '2026-06-01T10:00:00.000Z'),
    ];
    // Everything twice, as redelivery does.
    await xaddAll([...records, ...records]);
    startArchiver(archive, 'archiver-1');
    await waitFor(drained);

    expect(await queries.feedbackPerDay(owner, from, to)).toEqual([
      { day: '2026-06-01', positive: 1, negative: 0 },
      { day: '2026-06-02', positive: 0, negative: 2 },
    ]);
    expect(await queries.feedbackPerDay(`owner-${randomUUID()}`, from, to)).toEqual([]);
  });

  it('answers empty for an owner without data, and rejects a bad range before querying', async () => {
    const nobody = `owner-${randomUUID()}`;
    expect(await queries.messagesPerDay(nobody, from, to)).toEqual([]);
    expect(await queries.threadMessageCounts(nobody, from, to, 5)).toEqual([]);
    expect(await queries.runDurationPercentiles(nobody, from, to)).toEqual({ count: 0, p50Seconds: null, p95Seconds: null });
    expect(await queries.runStatusCounts(nobody, from, to)).toEqual([]);
    expect(await queries.toolCalls(nobody, from, to)).toEqual([]);
    await expect(queries.messagesPerDay(nobody, to, from)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(queries.threadMessageCounts(nobody, from, to, 0)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(queries.runStatusCounts(nobody, from, new Date('2027-06-04T00:00:00Z'))).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("serves Query.analytics to the viewer from the viewer's rows only", async () => {
    const { ownerA, t1 } = await seedTwoOwners();
    const { schema, graphql } = await loadSchemaWithAnalytics();
    const document = `query ($from: DateTime!, $to: DateTime!) {
      analytics(from: $from, to: $to) {
        messagesPerDay { day count }
        threadMessageCounts(limit: 1) { threadId count }
        runDurations { p50Seconds p95Seconds count }
        runStatusCounts { status count }
      }
    }`;
    const execute = (userId: string | null, variables: Record<string, string>) =>
      graphql.graphql({ schema, source: document, variableValues: variables, contextValue: { userId, authFailure: userId ? null : 'no token', archive: queries, log: silent } });

    const result = await execute(ownerA, { from: from.toISOString(), to: to.toISOString() });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      analytics: {
        messagesPerDay: [
          { day: '2026-06-01', count: 3 },
          { day: '2026-06-02', count: 3 },
          { day: '2026-06-03', count: 1 },
        ],
        threadMessageCounts: [{ threadId: t1, count: 5 }],
        runDurations: { p50Seconds: 30, p95Seconds: 88, count: 5 },
        runStatusCounts: [
          { status: 'COMPLETED', count: 5 },
          { status: 'FAILED', count: 1 },
          { status: 'IN_PROGRESS', count: 1 },
        ],
      },
    });

    const reversed = await execute(ownerA, { from: to.toISOString(), to: from.toISOString() });
    expect(reversed.data).toBeNull();
    expect(reversed.errors?.map((error) => [error.message, error.path])).toEqual([['from must be before to', ['analytics']]]);

    const anonymous = await execute(null, { from: from.toISOString(), to: to.toISOString() });
    expect(anonymous.data).toBeNull();
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

/**
 * The schema with the analytics types. analytics.ts is imported before index.ts builds the
 * schema, so its fields are in it whether or not index.ts imports it yet.
 */
async function loadSchemaWithAnalytics() {
  await import('../../src/schema/types/analytics.js');
  const { schema } = await import('../../src/schema/index.js');
  return { schema, graphql: await import('graphql') };
}

function fieldMap(fields: unknown[]): Map<string, unknown> {
  const map = new Map<string, unknown>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(String(fields[i]), fields[i + 1]);
  return map;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms: ${condition.toString().slice(0, 200)}`);
    await sleep(25);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

