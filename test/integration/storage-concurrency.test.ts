import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import type { MessageId } from '../../src/ids/id-types.js';
import { insertMessageRecords } from '../../src/repositories/message-records-repository.js';
import { findMessagesByIds } from '../../src/repositories/messages-repository.js';
import { CONSUMER_GROUPS, PERSISTENCE_STREAM } from '../../src/storage/redis-keys.js';
import { messageRecordOf } from '../../src/storage/message-record.js';
import { streamFieldsOf } from '../../src/storage/stream-records.js';
import { seed } from '../support/seed.js';
import { deadLettersOf, expectExactlyStored, sendAll, waitFor, waitForStoredCount, type AckedMessage } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { redisUrlOf } from '../support/redis-databases.js';

// 50 concurrent senders on 10 threads through the real server, with its in-process persister.
// A Redis database of this file's own (support/redis-databases.ts), so its stream holds only these messages.
const THREADS = 10;
const PER_THREAD = 100;
const SENDERS = 50;

describe('storage: concurrent senders', () => {
  let app: TestApp;
  let redis: Redis;
  let user: string;
  let threads: Thread[];
  let acked: AckedMessage[];

  beforeAll(async () => {
    app = await startTestApp({ env: { REDIS_URL: redisUrlOf('storageConcurrency') } });
    redis = new Redis(redisUrlOf('storageConcurrency'));
    user = newUserId();
    threads = [];
    for (let i = 0; i < THREADS; i++) threads.push(await seed(app.db).thread(user));
  });
  afterAll(async () => {
    redis.disconnect();
    await app.stop();
  });

  const threadIds = () => threads.map((thread) => thread.id);

  /** Postgres rows of the threads and the threads themselves, for before/after comparisons. */
  async function snapshot() {
    const messages = await app.db.selectFrom('messages').selectAll().where('thread_id', 'in', threadIds()).orderBy('id').execute();
    const threadRows = await app.db.selectFrom('threads').selectAll().where('id', 'in', threadIds()).orderBy('id').execute();
    return { messages, threads: threadRows };
  }

  async function backlogOfPersister(): Promise<number> {
    const groups = (await redis.xinfo('GROUPS', PERSISTENCE_STREAM)) as unknown[][];
    const group = groups.map((fields) => new Map(fields.flatMap((v, i, a) => (i % 2 ? [] : [[String(v), a[i + 1]]])))).find((g) => g.get('name') === CONSUMER_GROUPS.postgres);
    return Number(group?.get('pending') ?? 0) + Number(group?.get('lag') ?? 0);
  }

  it(`${SENDERS} senders, ${THREADS * PER_THREAD} messages on ${THREADS} threads: each thread acks seqs 1..${PER_THREAD}, and Postgres ends with exactly the acked messages`, async () => {
    // Interleaved across threads; one in ten waits for Postgres; one in ten is retried with its clientMessageId.
    const inputs: Array<Record<string, unknown>> = [];
    for (let i = 0; i < PER_THREAD; i++) {
      for (const [t, thread] of threads.entries()) {
        const content = `thread ${t} message ${i}`;
        const input = { threadId: thread.id, content, durability: i % 10 === 3 ? 'DURABLE' : 'FAST', clientMessageId: i % 10 === 7 ? `key-${i}` : null };
        inputs.push(input);
        if (input.clientMessageId) inputs.push({ ...input, content: `${content} (retry)` });
      }
    }
    const started = Date.now();
    const result = await sendAll(app.gql, user, inputs, SENDERS);
    expect(result.refused).toEqual([]);
    const elapsed = Date.now() - started;

    // A retry answers with the message of its first send: one message per key. Only its
    // durability may differ: the persister can commit it between the two answers.
    const byId = new Map<string, AckedMessage>();
    const withoutDurability = ({ durability: _durability, ...message }: AckedMessage) => message;
    for (const message of result.acked) {
      const earlier = byId.get(message.id);
      if (earlier) expect(withoutDurability(message)).toEqual(withoutDurability(earlier));
      byId.set(message.id, message);
    }
    acked = [...byId.values()];
    expect(acked).toHaveLength(THREADS * PER_THREAD);
    for (const thread of threads) {
      const seqs = acked.filter((m) => m.threadId === thread.id).map((m) => m.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: PER_THREAD }, (_, i) => i + 1));
    }

    await waitForStoredCount(app.db, threadIds(), acked.length);
    await expectExactlyStored(app.db, acked);
    expect(await deadLettersOf(redis, CONSUMER_GROUPS.postgres)).toEqual([]);
    console.info(`${inputs.length} sends by ${SENDERS} senders in ${elapsed} ms`);
  });

  it('a redelivered batch changes nothing: the same records written twice more, and the same entries re-queued', async () => {
    expect(acked, 'needs the previous test').toHaveLength(THREADS * PER_THREAD);
    await waitFor('the persister to catch up', async () => (await backlogOfPersister()) === 0);
    const before = await snapshot();
    // The records are rebuilt from what Postgres holds, not read back from the stream: the
    // server's trim timer (every 10 s) may already have deleted the acknowledged entries.
    const stored = await findMessagesByIds(app.db, user, acked.map((message) => message.id as MessageId));
    const records = stored.map((message) => messageRecordOf(message, user));
    expect(records).toHaveLength(acked.length);

    // As a worker that died between commit and XACK would: the whole batch again, twice.
    await insertMessageRecords(app.db, records);
    await insertMessageRecords(app.db, records.slice(0, 500));
    expect(await snapshot()).toEqual(before);

    // Through the persister itself: every entry delivered a second time.
    const requeued = await Promise.all(records.slice(0, 400).map((record) => redis.xadd(PERSISTENCE_STREAM, '*', ...streamFieldsOf({ type: 'message', record }))));
    expect(requeued).toHaveLength(400);
    await waitFor('the redelivered entries to be consumed', async () => (await backlogOfPersister()) === 0);
    expect(await snapshot()).toEqual(before);
    expect(await deadLettersOf(redis, CONSUMER_GROUPS.postgres)).toEqual([]);
    await expectExactlyStored(app.db, acked);
  });
});
