import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { LogEvent } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/db/create-database.js';
import { ids } from '../../src/ids/generate-ids.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { insertThread } from '../../src/repositories/threads-repository.js';
import { createPersister } from '../../src/storage/persister.js';
import { createRedisClient } from '../../src/storage/redis-client.js';
import { createStreamConsumer } from '../../src/storage/stream-consumer.js';
import { DEAD_LETTER_STREAM, PERSISTENCE_STREAM } from '../../src/storage/redis-keys.js';
import type { MessageRecord } from '../../src/storage/message-record.js';
import { streamFieldsOf } from '../../src/storage/stream-records.js';
import { captureLog, type CapturedLog } from '../support/captured-log.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { seed } from '../support/seed.js';
import { expectExactlyStored, sendAll, waitFor, waitForStoredCount } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

/** A well-formed message record for a thread Postgres does not have: the persister's insert is refused (foreign key). */
function orphanRecord(ownerId: string, threadId: ThreadId = ids.threadId('gone')): MessageRecord {
  return {
    id: ids.messageId(), threadId, ownerId, runId: null, role: 'USER', content: 'refused by Postgres', metadata: {},
    seq: 1, clientMessageId: null, parts: null, actor: null, createdAt: new Date().toISOString(), status: 'COMPLETED', revision: 1, editedAt: null, deletedAt: null,
  };
}

describe('a batch with entries Postgres refuses', () => {
  let redisServer: PrivateRedis;
  let redis: Redis;
  let app: TestApp;

  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    redis = new Redis(redisServer.url);
    // No in-process persister: the one started below, whose statements are counted, drains the stream.
    app = await startTestApp({ env: { REDIS_URL: redisServer.url, RUN_WORKERS_IN_PROCESS: 'false' } });
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
    await redisServer?.dispose();
  });

  it('isolates them by halving the batch: each is tried alone once, then dead-lettered; the rest is written in large inserts', async () => {
    const user = newUserId();
    const threads = await Promise.all([seed(app.db).thread(user), seed(app.db).thread(user)]);
    const inputs = (n: number) => Array.from({ length: n }, (_, i) => ({ threadId: threads[i % 2]!.id, content: `good ${i}` }));
    const { acked: first } = await sendAll(app.gql, user, inputs(60), 4);
    const bad = Array.from({ length: 5 }, () => orphanRecord(user));
    for (const record of bad) await redis.xadd(PERSISTENCE_STREAM, '*', ...streamFieldsOf({ type: 'message', record }));
    const { acked: second } = await sendAll(app.gql, user, inputs(60), 4);

    const inserts: string[][] = [];
    const onQuery = (event: LogEvent) => {
      if (!event.query.sql.includes('messageRecords.insertMessageRecords')) return;
      const records = JSON.parse(String(event.query.parameters[0])) as Array<{ id: string }>;
      if (records.length > 0) inserts.push(records.map((record) => record.id));
    };
    const db = createDatabase({ connectionString: inject('databaseUrl'), onQuery });
    const connection = createRedisClient(redisServer.url, { name: 'isolating-persister', log: pino({ level: 'silent' }), commandTimeoutMs: 5_000 });
    await connection.connect();
    const persister = createPersister({ redis: connection, db, log: pino({ level: 'silent' }), consumer: 'isolating', batchSize: 500, blockMs: 20, claimIdleMs: 30_000 });
    persister.start();
    try {
      await waitForStoredCount(app.db, threads.map((thread) => thread.id), 120);
      await waitFor('the refused entries to be dead-lettered', async () => Number(await redis.xlen(DEAD_LETTER_STREAM)) === bad.length);
    } finally {
      await persister.stop();
      connection.disconnect();
      await db.destroy();
    }
    await expectExactlyStored(app.db, [...first, ...second]);
    for (const record of bad) {
      const alone = inserts.filter((batch) => batch.length === 1 && batch[0] === record.id);
      expect(alone, `inserts of ${record.id} on its own`).toHaveLength(1);
    }
    // Halving: one full try, then about 2 inserts per bad entry per level of a 125-entry batch (7 levels).
    expect(inserts.length).toBeLessThanOrEqual(1 + bad.length * 2 * 7);
    const good = new Set([...first, ...second].map((message) => message.id));
    const goodAlone = inserts.filter((batch) => batch.length === 1 && good.has(batch[0]!)).length;
    expect(goodAlone, 'good entries written one by one').toBeLessThan(good.size / 4);
  });
});

describe('dead letters: counted, shown, logged, listed, replayed and discarded', () => {
  let redisServer: PrivateRedis;
  let redis: Redis;
  let app: TestApp;
  let captured: CapturedLog;

  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    redis = new Redis(redisServer.url);
    captured = captureLog();
    app = await startTestApp({ env: { REDIS_URL: redisServer.url }, log: captured.log });
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
    await redisServer?.dispose();
  });

  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', 'src/storage/dead-letters-cli.ts', ...args], {
      cwd: REPO,
      env: { ...process.env, REDIS_URL: redisServer.url, LOG_LEVEL: 'silent', NODE_ENV: 'test' },
    });
  const metric = async () => {
    const text = await (await fetch(app.url.replace('/graphql', '/metrics'))).text();
    return Number(/^threadline_dead_letters (\d+)$/m.exec(text)?.[1]);
  };
  const ready = async () => (await fetch(app.url.replace('/graphql', '/ready'))).json() as Promise<{ deadLetters: number; warnings: string[] }>;

  it('an acked message Postgres refuses is dead-lettered, counted, named in /ready and logged with its IDs; replayed after the fix, it is stored', async () => {
    const user = newUserId();
    const threadId = ids.threadId('later');
    const record = orphanRecord(user, threadId);
    await redis.xadd(PERSISTENCE_STREAM, '*', ...streamFieldsOf({ type: 'message', record }));
    await waitFor('the dead letter', async () => Number(await redis.xlen(DEAD_LETTER_STREAM)) === 1);

    expect(await metric()).toBe(1);
    const readiness = await ready();
    expect(readiness.deadLetters).toBe(1);
    expect(readiness.warnings.join(' ')).toContain('npm run dead-letters');
    const logged = captured.errors().find((line) => line.recordId === record.id);
    expect(logged, JSON.stringify(captured.errors())).toMatchObject({ threadId, group: 'postgres' });

    const listed = (await cli('list')).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(listed).toEqual([expect.objectContaining({ group: 'postgres', type: 'message', recordId: record.id, threadId })]);
    expect(listed[0].error).toMatch(/foreign key/);

    // The fix: the thread exists now. Replayed, the message reaches Postgres through the persister.
    await app.db.transaction().execute((trx) => insertThread(trx, { id: threadId, ownerId: user, title: null, metadata: {} }));
    expect((await cli('replay')).stdout).toContain('replayed 1');
    await waitForStoredCount(app.db, [threadId], 1);
    expect(await redis.xlen(DEAD_LETTER_STREAM)).toBe(0);
    expect(await metric()).toBe(0);
    expect((await ready()).warnings).toEqual([]);
  });

  it('discard deletes a dead letter for good; usage errors exit with 2', async () => {
    const record = orphanRecord(newUserId());
    await redis.xadd(PERSISTENCE_STREAM, '*', ...streamFieldsOf({ type: 'message', record }));
    await waitFor('the dead letter', async () => Number(await redis.xlen(DEAD_LETTER_STREAM)) === 1);
    const [[letterId]] = (await redis.xrange(DEAD_LETTER_STREAM, '-', '+')) as [[string, string[]]];
    expect((await cli('discard', letterId)).stdout).toContain('discarded 1');
    expect(await redis.xlen(DEAD_LETTER_STREAM)).toBe(0);
    await expect(cli('discard')).rejects.toMatchObject({ code: 2 });
    await expect(cli('nonsense')).rejects.toMatchObject({ code: 2 });
  });
});

describe('a batch written, then its XACK failing (Redis failing, not the data)', () => {
  let redisServer: PrivateRedis;
  let admin: Redis;

  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    admin = new Redis(redisServer.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await redisServer?.dispose();
  });

  it('is not isolated or dead-lettered: the read fails, and the entries are handled again once Redis answers', async () => {
    const stream = 'test:xack-fails';
    const records = Array.from({ length: 4 }, () => orphanRecord('xack-user'));
    for (const record of records) await admin.xadd(stream, '*', ...streamFieldsOf({ type: 'message', record }));
    const captured = captureLog();
    const handled: string[][] = [];
    const connection = createRedisClient(redisServer.url, { name: 'xack-consumer', log: captured.log, commandTimeoutMs: 5_000 });
    await connection.connect();
    const consumer = createStreamConsumer({
      redis: connection, stream, group: 'xack-group', consumer: 'xack-consumer', log: captured.log, blockMs: 20, initialBackoffMs: 50,
      handle: async (entries) => {
        handled.push(entries.map(({ record }) => (record.type === 'feedback' ? record.record.messageId : record.record.id)));
        // The write succeeded, then Redis refuses the XACK (ACL): a Redis failure, nothing wrong with
        // the entries. Allowed again while they are handled the second time.
        await admin.call('ACL', 'SETUSER', 'default', handled.length === 1 ? '-xack' : '+xack');
      },
    });
    consumer.start();
    try {
      await waitFor('the entries to be handled again and acked', async () =>
        handled.length >= 2 && Number((await admin.xpending(stream, 'xack-group'))[0]) === 0, 20_000);
    } finally {
      await consumer.stop();
      connection.disconnect();
    }
    const ids = records.map((record) => record.id);
    expect(handled[0]).toEqual(ids);
    expect(handled.at(-1)).toEqual(ids);
    expect(Number(await admin.xlen(DEAD_LETTER_STREAM))).toBe(0);
    expect(captured.lines.filter((line) => /dead-lettered|isolating/.test(line.msg ?? ''))).toEqual([]);
  });
});
