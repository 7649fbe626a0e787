import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MessageId, ThreadId } from '../../src/ids/id-types.js';
import { MESSAGE_COLUMNS, messageOfRecord, messageOfRow, MessageRecordModel } from '../../src/storage/message-record.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { SEND_MESSAGE, waitFor } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const START = 'mutation($input: StartMessageInput!) { startMessage(input: $input) { id seq } }';
const APPEND = 'mutation($input: AppendMessageDeltaInput!) { appendMessageDelta(input: $input) { id } }';
const COMPLETE = 'mutation($id: ID!) { completeMessage(id: $id) { content status } }';

// The message record (src/storage/message-record.ts) is the one definition of a stored message:
// the Postgres columns, the JSON in Redis and on the stream, and the domain type derive from it.
describe('the message record', () => {
  let app: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    app = await startTestApp();
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    redis.disconnect();
    await app.stop();
  });

  const windowOf = async (threadId: string) =>
    (await redis.lrange(threadKeys(threadId as ThreadId).window, 0, -1)).map((entry) => messageOfRecord(MessageRecordModel.parse(JSON.parse(entry))));

  it('maps every column of the messages table, and no other', async () => {
    const { rows } = await sql<{ column_name: string }>`
      select column_name from information_schema.columns where table_name = 'messages' and table_schema = current_schema()`.execute(app.db);
    expect(MESSAGE_COLUMNS.split(', ').sort()).toEqual(rows.map((row) => row.column_name).sort());
  });

  it('reads back the same message from the Redis window and from its Postgres row', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const input = { threadId: thread.id, content: 'héllo ✓', metadata: { tool: 'search', nested: { list: [1, 'two', null], empty: [] } }, clientMessageId: 'c-1' };
    const acked = expectData(await app.gql(owner, SEND_MESSAGE, { input })).sendMessage;
    const [hot] = await windowOf(thread.id);
    const row = await waitFor('the persisted row', () => app.db.selectFrom('messages').selectAll().where('id', '=', acked.id).executeTakeFirst());
    expect(messageOfRow(row)).toEqual(hot);
    expect(hot).toMatchObject({ id: acked.id, seq: 1, role: 'USER', content: input.content, metadata: input.metadata, clientMessageId: 'c-1', runId: null, status: 'COMPLETED' });
  });

  it('completing a stream replaces its own window entry, found by seq, between other messages', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    expectData(await app.gql(owner, SEND_MESSAGE, { input: { threadId: thread.id, content: 'before' } }));
    const started = expectData(await app.gql(owner, START, { input: { threadId: thread.id } })).startMessage;
    expectData(await app.gql(owner, SEND_MESSAGE, { input: { threadId: thread.id, content: 'during' } }));
    expectData(await app.gql(owner, APPEND, { input: { id: started.id, delta: 'streamed' } }));
    expectData(await app.gql(owner, COMPLETE, { id: started.id }));
    const window = await windowOf(thread.id);
    expect(window.map((m) => [m.seq, m.content, m.status])).toEqual([
      [1, 'before', 'COMPLETED'],
      [2, 'streamed', 'COMPLETED'],
      [3, 'during', 'COMPLETED'],
    ]);
  });

  it('after a re-seed gave its seq to another message, completing a stream leaves that message in the window', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const started = expectData(await app.gql(owner, START, { input: { threadId: thread.id } })).startMessage;
    // What RESEED_THREAD does when Postgres's last seq is behind: the counter goes back, the window empties.
    const keys = threadKeys(thread.id as ThreadId);
    await redis.multi().hset(keys.meta, 'seq', '0', 'persisted', '0').del(keys.window).exec();
    const other = expectData(await app.gql(owner, SEND_MESSAGE, { input: { threadId: thread.id, content: 'other' } })).sendMessage;
    expect(other.seq).toBe(started.seq);

    expectData(await app.gql(owner, COMPLETE, { id: started.id }));
    const window = await windowOf(thread.id);
    expect(window.map((m) => [m.id, m.content])).toEqual([[other.id as MessageId, 'other']]);
  });
});
