import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Thread } from '../../src/domain/thread.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { PERSISTENCE_STREAM, threadKeys } from '../../src/storage/redis-keys.js';
import { insertOutboxEntry } from '../../src/repositories/outbox-repository.js';
import { messageRecordOf } from '../../src/storage/message-record.js';
import { parseStreamFields } from '../../src/storage/stream-records.js';
import { captureLog, type CapturedLog } from '../support/captured-log.js';
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
  let captured: CapturedLog;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    captured = captureLog();
    app = await startTestApp({
      env: { DATABASE_URL: postgres.url, REDIS_URL: redis.url, PERSISTER_BLOCK_MS: '20', ARCHIVE_FLUSH_INTERVAL_MS: '20' },
      log: captured.log,
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

  /** The IDs of the messages of `threadId` on the persistence stream as `type` (a new message by default), in stream order. */
  async function streamedMessageIds(threadId: string, type = 'message'): Promise<string[]> {
    const reader = new Redis(redis.url);
    try {
      const entries = await reader.xrange(PERSISTENCE_STREAM, '-', '+');
      return entries
        .map(([, fields]) => parseStreamFields(fields))
        .flatMap((entry) => (entry.type === type && 'seq' in entry.record && entry.record.threadId === threadId ? [entry.record.id] : []));
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

  it('an entry Redis refuses for good is set aside, logged and reported, and the entries after it are relayed; requeued once fixed, it is relayed', async () => {
    const user = newUserId();
    const thread: Thread = await seed(app.db).thread(user);
    const other: Thread = await seed(app.db).thread(user);
    const refused = await send(user, thread.id, 'to edit');
    const fine = await send(user, other.id, 'to edit too');
    const EDIT = 'mutation($input: EditMessageInput!) { editMessage(input: $input) { id content } }';
    const edit = async (id: string, content: string) => expectData(await app.gql(user, EDIT, { input: { id, content } })).editMessage;
    const raw = new Redis(redis.url);
    try {
      // A key of the wrong type: Redis answers every write to this thread's event log with WRONGTYPE.
      await raw.set(threadKeys(thread.id as ThreadId).events, 'not a stream');
      // Committed in Postgres, so both are answered; the relay follows each commit.
      expect(await edit(refused.id, 'edited')).toMatchObject({ content: 'edited' });
      expect(await edit(fine.id, 'edited too')).toMatchObject({ content: 'edited too' });

      const outbox = () => app.db.selectFrom('outbox').select(['thread_id', 'kind', 'set_aside_at', 'refusal']).execute();
      expect(await outbox()).toEqual([{ thread_id: thread.id, kind: 'messageEdited', set_aside_at: expect.any(Date), refusal: expect.stringMatching(/^ReplyError: WRONGTYPE/) }]);
      // The entry after it was not held up.
      expect(await streamedMessageIds(other.id, 'messageEdited')).toEqual([fine.id]);
      expect(captured.errors()).toMatchObject([{ msg: expect.stringMatching(/^outbox entry set aside: Redis refused it/), kind: 'messageEdited' }]);
      const ready = (await (await fetch(new URL('/ready', app.url))).json()) as { status: string; warnings: string[] };
      expect(ready.status).toBe('ready');
      expect(ready.warnings).toEqual([expect.stringMatching(/^1 outbox entries set aside/)]);
      const metrics = await (await fetch(new URL('/metrics', app.url))).text();
      expect(metrics).toMatch(/^threadline_outbox_set_aside 1$/m);
      expect(await outboxGauge(), 'an entry set aside is not waiting').toBe(0);

      // Fixed, and requeued as the README says: the next relay takes it.
      await raw.del(threadKeys(thread.id as ThreadId).events);
      await app.db.updateTable('outbox').set({ set_aside_at: null, refusal: null }).where('set_aside_at', 'is not', null).execute();
      await edit(fine.id, 'edited again');
      expect(await outbox()).toEqual([]);
      // A script stopped by an error keeps what it did before it (Redis scripts do not roll
      // back), so the refused attempt may have streamed it too; consumers are idempotent.
      expect(await streamedMessageIds(thread.id, 'messageEdited')).toContain(refused.id);
      const page = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { messages(last: 5) { edges { node { content } } } } }', { id: thread.id }));
      expect(page.thread.messages.edges.map((edge: { node: { content: string } }) => edge.node.content)).toEqual(['edited']);
      expect(((await (await fetch(new URL('/ready', app.url))).json()) as { warnings: string[] }).warnings).toEqual([]);
    } finally {
      raw.disconnect();
    }
  });

  it('empties the outbox once relayed', async () => {
    await waitFor('the outbox to empty', async () => {
      const { count } = await app.db.selectFrom('outbox').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
      return Number(count) === 0;
    });
  });
});
