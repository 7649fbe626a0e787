import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Thread } from '../../src/domain/thread.js';
import { PERSISTENCE_STREAM } from '../../src/storage/redis-keys.js';
import { insertOutboxEntry } from '../../src/repositories/outbox-repository.js';
import { messageRecordOf } from '../../src/storage/message-record.js';
import { parseStreamFields } from '../../src/storage/stream-records.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../support/private-services.js';
import { seed } from '../support/seed.js';
import { SEND_MESSAGE, waitFor, type AckedMessage } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs } from '../support/ws-client.js';

// Writes committed in Postgres while Redis is down (the circuit open) reach Redis through the
// outbox once it is back: the persistence stream (so the archiver has them), the hot state
// (an archived thread stays archived) and the thread's subscribers. A Postgres and a
// redis-server of this file's own, and the embedded chDB archive of the test process.
describe('the outbox: Postgres-path writes reach the stream, the archive and subscribers', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let app: TestApp;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    app = await startTestApp({
      env: { DATABASE_URL: postgres.url, REDIS_URL: redis.url, PERSISTER_BLOCK_MS: '20', ARCHIVE_FLUSH_INTERVAL_MS: '20' },
    });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await Promise.all([redis?.dispose(), postgres?.dispose()]);
  });

  const readiness = async () => (await (await fetch(new URL('/ready', app.url))).json()) as { status: string };
  const send = async (user: string, threadId: string, content: string): Promise<AckedMessage> =>
    expectData(await app.gql(user, SEND_MESSAGE, { input: { threadId, content } })).sendMessage;

  const outboxGauge = async () => {
    const text = await (await fetch(new URL('/metrics', app.url))).text();
    return Number(/^threadline_outbox_pending (\d+)$/m.exec(text)?.[1]);
  };

  /** Messages and run transitions of `threadId` in the ClickHouse archive. */
  async function archived(threadId: string) {
    const client = app.tiers.archive.client;
    const messages = await client.query(
      'test.archivedMessages',
      'SELECT DISTINCT message_id AS id, toUInt32(seq) AS seq FROM messages_archive WHERE thread_id = {threadId:String} ORDER BY seq',
      { threadId },
      z.object({ id: z.string(), seq: z.coerce.number() }),
    );
    const runs = await client.query(
      'test.archivedRuns',
      'SELECT DISTINCT run_id AS id, status FROM run_transitions WHERE thread_id = {threadId:String} ORDER BY status',
      { threadId },
      z.object({ id: z.string(), status: z.string() }),
    );
    return { messages, runs };
  }

  /** The message IDs on the persistence stream for `threadId`, in stream order. */
  async function streamedMessageIds(threadId: string): Promise<string[]> {
    const reader = new Redis(redis.url);
    try {
      const entries = await reader.xrange(PERSISTENCE_STREAM, '-', '+');
      return entries
        .map(([, fields]) => parseStreamFields(fields))
        .flatMap((entry) => (entry.type === 'message' && entry.record.threadId === threadId ? [entry.record.id] : []));
    } finally {
      reader.disconnect();
    }
  }

  it('messages, a run and an archive made while Redis is down are streamed in seq order, archived, applied and delivered once it is back', async () => {
    const user = newUserId();
    const thread: Thread = await seed(app.db).thread(user);
    const other: Thread = await seed(app.db).thread(user);
    const warm = [await send(user, thread.id, 'before'), await send(user, other.id, 'other before')];
    expect(warm.map((message) => message.durability)).toEqual(['HOT', 'HOT']);

    const { client } = await connectAs(app.url, { userId: user });
    const sub = collect(
      client,
      `subscription($threadId: ID!) { threadEvents(threadId: $threadId, afterSeq: 0) {
        __typename ... on MessageAdded { seq message { id } } ... on RunStatusChanged { run { id status } }
      } }`,
      { threadId: thread.id },
    );
    await sub.received(1);

    await redis.kill();
    const during: AckedMessage[] = [];
    for (let i = 0; i < 5; i++) during.push(await send(user, thread.id, `during ${i}`));
    expect(during.map((message) => [message.seq, message.durability])).toEqual([2, 3, 4, 5, 6].map((seq) => [seq, 'DURABLE']));
    const run = expectData(
      await app.gql(user, 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { input: { threadId: thread.id } }),
    ).startRun;
    expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { status } }', { id: other.id }));
    expect(await outboxGauge(), 'five messages, a run, a thread change wait').toBe(7);

    await redis.restart();
    await waitFor('the circuit to close', async () => (await readiness()).status === 'ready', 30_000, 100);
    expect(await outboxGauge()).toBe(0);
    const after = await send(user, thread.id, 'after');
    expect(after).toMatchObject({ seq: 7, durability: 'HOT' });

    // The stream has every message of the thread, the Postgres-path ones before the next fast-path one.
    const all = [warm[0]!, ...during, after];
    await waitFor('the stream to hold every message', async () => (await streamedMessageIds(thread.id)).length >= all.length);
    expect(await streamedMessageIds(thread.id)).toEqual(all.map((message) => message.id));

    // The archiver saw them all, and the run.
    await waitFor('the archive to hold every message and the run', async () => {
      const { messages, runs } = await archived(thread.id);
      return messages.length === all.length && runs.length === 1;
    });
    expect(await archived(thread.id)).toEqual({
      messages: all.map((message) => ({ id: message.id, seq: message.seq })),
      runs: [{ id: run.id, status: 'QUEUED' }],
    });

    // Redis knows the other thread is archived: a fast-path send to it is refused.
    expect(expectError(await app.gql(user, SEND_MESSAGE, { input: { threadId: other.id, content: 'too late' } }), 'BAD_USER_INPUT').message).toMatch(/archived/);

    // The subscriber open across the outage got every message once, in seq order, and the run
    // in the order it was committed.
    const added = (message: AckedMessage) => ({ __typename: 'MessageAdded', seq: message.seq, message: { id: message.id } });
    const events = (await sub.received(all.length + 1)).map((event) => event.threadEvents);
    expect(events).toEqual([
      ...[warm[0]!, ...during].map(added),
      { __typename: 'RunStatusChanged', run: { id: run.id, status: 'QUEUED' } },
      added(after),
    ]);
    sub.stop();
    await client.dispose();
  });

  it('relays at start what a crashed server left in the outbox', async () => {
    const user = newUserId();
    const thread: Thread = await seed(app.db).thread(user);
    const [message] = await seed(app.db).messages(thread.id, ['left behind']);
    // As a server that crashed between its commit and the relay leaves it.
    await app.db.transaction().execute((trx) =>
      insertOutboxEntry(trx, thread.id, { kind: 'message', payload: messageRecordOf({ ...message!, status: 'COMPLETED' }, user) }),
    );
    const next = await startTestApp({ env: { DATABASE_URL: postgres.url, REDIS_URL: redis.url, RUN_WORKERS_IN_PROCESS: 'false' } });
    try {
      await waitFor('the left entry on the stream', async () => (await streamedMessageIds(thread.id)).includes(message!.id));
    } finally {
      await next.stop();
    }
  });

  it('empties the outbox once relayed', async () => {
    await waitFor('the outbox to empty', async () => {
      const { count } = await app.db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
      return Number(count) === 0;
    });
  });
});
