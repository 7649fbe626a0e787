import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { z } from 'zod';
import type { Thread } from '../../src/domain/thread.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { waitUntilPersisted } from '../../src/storage/persisted-barrier.js';
import { PERSISTENCE_STREAM, threadKeys } from '../../src/storage/redis-keys.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { startTestPersister, type TestPersister } from '../support/test-persister.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, subscriptionsHeld, type SocketClient } from '../support/ws-client.js';
import { redisUrlOf } from '../support/redis-databases.js';

const PARTS = 'parts { __typename ... on TextPart { text } ... on ToolCallPart { callId name } ... on ToolResultPart { callId } }';
const FIELDS = `id seq content ${PARTS} metadata revision editedAt deletedAt`;
const REVISIONS = 'revisions(first: 10) { edges { node { revision content createdAt } } }';
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${FIELDS} durability } }`;
const EDIT = `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${FIELDS} ${REVISIONS} } }`;
const DELETE = `mutation($id: ID!) { deleteMessage(id: $id) { ${FIELDS} ${REVISIONS} } }`;
const PAGE = `query($id: ID!) { thread(id: $id) { messages(first: 50) { edges { node { ${FIELDS} } } } } }`;
const BY_ID = `query($id: ID!) { message(id: $id) { ${FIELDS} ${REVISIONS} } node(id: $id) { ... on Message { ${FIELDS} } } }`;
const EVENTS = `subscription($id: ID!, $after: Int) { threadEvents(threadId: $id, afterSeq: $after) {
  __typename
  ... on MessageAdded { seq message { content revision deletedAt } }
  ... on MessageEdited { seq message { id content revision editedAt } }
  ... on MessageDeleted { seq messageId }
} }`;

/** Edit, delete and read helpers against one server. */
function helpers(app: () => TestApp) {
  const send = async (user: string, threadId: string, input: Record<string, unknown>) =>
    expectData(await app().gql(user, SEND, { input: { threadId, ...input } })).sendMessage;
  const edit = (user: string, input: Record<string, unknown>) => app().gql(user, EDIT, { input });
  const remove = (user: string, id: string) => app().gql(user, DELETE, { id });
  const page = async (user: string, threadId: string) =>
    expectData(await app().gql(user, PAGE, { id: threadId })).thread.messages.edges.map((edge: any) => edge.node);
  const byId = async (user: string, id: string) => expectData(await app().gql(user, BY_ID, { id }));
  const row = (id: string) => app().db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
  const revisionRows = (id: string) =>
    app().db.selectFrom('message_revisions').selectAll().where('message_id', '=', id).orderBy('revision').execute();
  const userWithThread = async (): Promise<{ user: string; thread: Thread }> => {
    const user = newUserId();
    return { user, thread: await seed(app().db).thread(user) };
  };
  return { send, edit, remove, page, byId, row, revisionRows, userWithThread };
}

/** The thread's Redis window, parsed: what thread.messages serves its newest page from. */
async function windowEntries(redis: Redis, threadId: string): Promise<any[]> {
  return (await redis.lrange(threadKeys(threadId as ThreadId).window, 0, -1)).map((entry) => JSON.parse(entry));
}

describe('editMessage and deleteMessage', () => {
  let app: TestApp;
  let cold: TestApp;
  let redis: Redis;
  const clients: SocketClient[] = [];
  const { send, edit, remove, page, byId, row, revisionRows, userWithThread } = helpers(() => app);
  const coldPage = (user: string, threadId: string) => helpers(() => cold).page(user, threadId);

  beforeAll(async () => {
    // A small window: the oldest messages of a thread are read from Postgres, the newest from Redis.
    app = await startTestApp({ env: { HOT_WINDOW_SIZE: '3' } });
    // Without Redis every read is a Postgres read.
    cold = await startTestApp({ env: { DISABLE_REDIS: 'true' } });
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await Promise.all(clients.map(({ client }) => client.dispose()));
    redis.disconnect();
    await cold.stop();
    await app.stop();
  });

  const subscribe = async (user: string, threadId: string, afterSeq?: number) => {
    const connected = await connectAs(app.url, { userId: user });
    clients.push(connected);
    return collect(connected.client, EVENTS, { id: threadId, after: afterSeq ?? null });
  };

  it('an edit makes a new revision, seen in the window, Postgres pages, message(id), node(id) and a replay', async () => {
    const { user, thread } = await userWithThread();
    const sent = [];
    for (const content of ['one', 'two', 'three', 'four', 'five', 'six']) sent.push(await send(user, thread.id, { content }));
    const [first, , , , fifth] = sent;

    const once = expectData(await edit(user, { id: fifth.id, content: 'five, edited' })).editMessage;
    expect(once).toMatchObject({ seq: 5, content: 'five, edited', revision: 2, deletedAt: null });
    expect(once.editedAt).not.toBeNull();
    const twice = expectData(await edit(user, { id: fifth.id, parts: [{ text: 'five, ' }, { text: 'again' }] })).editMessage;
    expect(twice).toMatchObject({ seq: 5, content: 'five, again', revision: 3, parts: [{ text: 'five, ' }, { text: 'again' }] });
    // Newest first; revision 1 was written when the message was.
    expect(twice.revisions.edges.map((edge: any) => [edge.node.revision, edge.node.content])).toEqual([[2, 'five, edited'], [1, 'five']]);
    expect(twice.revisions.edges[0].node.createdAt).toBe(once.editedAt);
    const oldest = expectData(await edit(user, { id: first.id, content: 'one, edited' })).editMessage;
    expect(oldest).toMatchObject({ seq: 1, revision: 2 });

    const expected = ['one, edited', 'two', 'three', 'four', 'five, again', 'six'];
    // Seq 5 is in the window; the cold server reads everything from Postgres.
    const window = await windowEntries(redis, thread.id);
    expect(window.find((entry) => entry.seq === 5)).toMatchObject({ id: fifth.id, content: 'five, again', revision: 3 });
    expect((await page(user, thread.id)).map((m: any) => m.content)).toEqual(expected);
    expect((await coldPage(user, thread.id)).map((m: any) => m.content)).toEqual(expected);
    for (const [message, revision] of [[fifth, 3], [first, 2]] as const) {
      const read = await byId(user, message.id);
      expect(read.message).toMatchObject({ content: expected[message.seq - 1], revision });
      expect(read.node).toEqual(expect.objectContaining({ id: message.id, content: expected[message.seq - 1], revision }));
    }
    // Paging revisions: one at a time, newest first.
    const REVISION_PAGE = 'query($id: ID!, $after: String) { message(id: $id) { revisions(first: 1, after: $after) { edges { cursor node { revision } } pageInfo { hasNextPage } } } }';
    const page1 = expectData(await app.gql(user, REVISION_PAGE, { id: fifth.id })).message.revisions;
    expect(page1.edges.map((edge: any) => edge.node.revision)).toEqual([2]);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = expectData(await app.gql(user, REVISION_PAGE, { id: fifth.id, after: page1.edges[0].cursor })).message.revisions;
    expect(page2.edges.map((edge: any) => edge.node.revision)).toEqual([1]);

    expect(await row(fifth.id)).toMatchObject({ content: 'five, again', revision: 3, deleted_at: null });
    expect((await row(fifth.id))!.edited_at!.toISOString()).toBe(twice.editedAt);
    expect((await revisionRows(fifth.id)).map((r) => [r.revision, r.content, r.parts])).toEqual([[1, 'five', null], [2, 'five, edited', null]]);

    const replay = await subscribe(user, thread.id, 0);
    const replayed = await replay.received(6);
    expect(replayed.map((event) => event.threadEvents.message.content)).toEqual(expected);
    expect(replayed.map((event) => event.threadEvents.message.revision)).toEqual([2, 1, 1, 1, 3, 1]);
    replay.stop();
  });

  it('a deletion leaves a tombstone at its seq in Redis, Postgres and ClickHouse, with no revisions; deleting again returns it', async () => {
    const { user, thread } = await userWithThread();
    const [, second, third] = [
      await send(user, thread.id, { content: 'keep' }),
      await send(user, thread.id, { content: 'secret', metadata: { tag: 'private' } }),
      await send(user, thread.id, { content: 'last' }),
    ];
    expectData(await edit(user, { id: second.id, content: 'secret, edited' }));
    const tombstone = expectData(await remove(user, second.id)).deleteMessage;
    expect(tombstone).toMatchObject({ id: second.id, seq: 2, content: '', parts: [], metadata: {}, revision: 3, revisions: { edges: [] } });
    expect(tombstone.deletedAt).not.toBeNull();

    expect(await row(second.id)).toMatchObject({ content: '', parts: [], metadata: {}, revision: 3 });
    expect((await row(second.id))!.deleted_at!.toISOString()).toBe(tombstone.deletedAt);
    expect(await revisionRows(second.id)).toEqual([]);
    const window = await windowEntries(redis, thread.id);
    expect(window.find((entry) => entry.seq === 2)).toMatchObject({ id: second.id, content: '', parts: [], metadata: {}, deletedAt: tombstone.deletedAt });

    // Seqs stay gap-free: the tombstone holds seq 2 in every read path.
    for (const read of [await page(user, thread.id), await coldPage(user, thread.id)]) {
      expect(read.map((m: any) => [m.seq, m.content, m.deletedAt !== null])).toEqual([[1, 'keep', false], [2, '', true], [3, 'last', false]]);
    }
    const read = await byId(user, second.id);
    expect(read.message).toMatchObject({ content: '', parts: [], metadata: {}, deletedAt: tombstone.deletedAt, revisions: { edges: [] } });
    expect(read.node).toMatchObject({ content: '', deletedAt: tombstone.deletedAt });
    const replay = await subscribe(user, thread.id, 0);
    expect((await replay.received(3)).map((event) => event.threadEvents.message.content)).toEqual(['keep', '', 'last']);
    replay.stop();

    // The archive keeps the shape of a message, and of a deleted one only that it was.
    const archived = () =>
      app.tiers.archive.client.query(
        'testDeletedMessage',
        'SELECT seq, content_bytes, part_types, deleted, revision FROM messages_archive FINAL WHERE thread_id = {thread:String} ORDER BY seq',
        { thread: thread.id },
        z.object({ seq: z.number(), content_bytes: z.number(), part_types: z.array(z.string()), deleted: z.number(), revision: z.number() }),
      );
    await vi.waitFor(async () => {
      expect(await archived()).toEqual([
        { seq: 1, content_bytes: 4, part_types: ['text'], deleted: 0, revision: 1 },
        { seq: 2, content_bytes: 0, part_types: [], deleted: 1, revision: 3 },
        { seq: 3, content_bytes: 4, part_types: ['text'], deleted: 0, revision: 1 },
      ]);
    }, { timeout: 15_000, interval: 100 });

    // Idempotent: the same tombstone, nothing written again.
    expect(expectData(await remove(user, second.id)).deleteMessage).toMatchObject({ revision: 3, deletedAt: tombstone.deletedAt });
    expect(await row(second.id)).toMatchObject({ revision: 3 });
    expectError(await edit(user, { id: second.id, content: 'back from the dead' }), 'BAD_USER_INPUT');
    expect(await row(second.id)).toMatchObject({ content: '', revision: 3 });
    expect(third.seq).toBe(3);
  });

  it('subscribers receive MessageEdited and MessageDeleted live', async () => {
    const { user, thread } = await userWithThread();
    const message = await send(user, thread.id, { content: 'draft' });
    const live = await subscribe(user, thread.id);
    await subscriptionsHeld(app, 1);
    const edited = expectData(await edit(user, { id: message.id, content: 'final' })).editMessage;
    expectData(await remove(user, message.id));
    const events = (await live.received(2)).map((event) => event.threadEvents);
    expect(events).toEqual([
      { __typename: 'MessageEdited', seq: 1, message: { id: message.id, content: 'final', revision: 2, editedAt: edited.editedAt } },
      { __typename: 'MessageDeleted', seq: 1, messageId: message.id },
    ]);
    live.stop();
  });

  it("refuses another user's message with NOT_FOUND, and a malformed ID or body before anything is read, changing nothing in any tier", async () => {
    const { user, thread } = await userWithThread();
    const message = await send(user, thread.id, { content: 'mine', metadata: { a: 1 } });
    await vi.waitFor(async () => expect(await row(message.id)).toBeDefined(), { timeout: 10_000, interval: 25 });
    const intruder = newUserId('intruder');
    expectError(await edit(intruder, { id: message.id, content: 'hijacked' }), 'NOT_FOUND');
    expectError(await remove(intruder, message.id), 'NOT_FOUND');
    expectError(await edit(user, { id: 'msg_nope', content: 'x' }), 'INVALID_ID');
    expectError(await remove(user, 'not-an-id'), 'INVALID_ID');
    expectError(await edit(user, { id: message.id, content: 'x', parts: [{ text: 'x' }] }), 'BAD_USER_INPUT');
    expectError(await edit(user, { id: message.id }), 'BAD_USER_INPUT');
    expectError(await edit(user, { id: message.id, content: 'x'.repeat(64 * 1024 + 1) }), 'BAD_USER_INPUT');
    expectError(await edit(user, { id: message.id, content: 'bad \u0000 byte' }), 'BAD_USER_INPUT');

    expect(await row(message.id)).toMatchObject({ content: 'mine', metadata: { a: 1 }, revision: 1, edited_at: null, deleted_at: null });
    expect(await revisionRows(message.id)).toEqual([]);
    expect((await windowEntries(redis, thread.id))[0]).toMatchObject({ id: message.id, content: 'mine', revision: 1 });
    expect((await byId(user, message.id)).message).toMatchObject({ content: 'mine', revision: 1, editedAt: null });
  });

  it('edits and deletes a streamed message right after its completion was acked, waiting for the persister to write the completion', async () => {
    const { user, thread } = await userWithThread();
    const START = 'mutation($input: StartMessageInput!) { startMessage(input: $input) { id } }';
    const APPEND = 'mutation($input: AppendMessageDeltaInput!) { appendMessageDelta(input: $input) { id } }';
    const COMPLETE = 'mutation($id: ID!) { completeMessage(id: $id) { id status } }';
    // Several times: without the wait the change finds the Postgres row still IN_PROGRESS about half the time.
    for (let i = 0; i < 6; i++) {
      const reply = expectData(await app.gql(user, START, { input: { threadId: thread.id, role: 'ASSISTANT' } })).startMessage;
      expectData(await app.gql(user, APPEND, { input: { id: reply.id, delta: `streamed ${i}` } }));
      expect(expectData(await app.gql(user, COMPLETE, { id: reply.id })).completeMessage.status).toBe('COMPLETED');
      const action = i % 2 === 0 ? await edit(user, { id: reply.id, content: `edited ${i}` }) : await remove(user, reply.id);
      const changed = expectData(action);
      expect(changed.editMessage?.content ?? changed.deleteMessage?.deletedAt, `round ${i}`).toBeTruthy();
      expect((await row(reply.id))?.status).toBe('COMPLETED');
    }
  });

  it('a resend of an edited message (same clientMessageId) answers its newest revision', async () => {
    const { user, thread } = await userWithThread();
    const first = await send(user, thread.id, { content: 'sent once', clientMessageId: 'c-1' });
    expectData(await edit(user, { id: first.id, content: 'edited since' }));
    const again = await send(user, thread.id, { content: 'sent once', clientMessageId: 'c-1' });
    expect(again).toMatchObject({ id: first.id, seq: 1, content: 'edited since', revision: 2 });
  });

  it('without Redis, edits and deletions go to Postgres alike', async () => {
    const postgresOnly = helpers(() => cold);
    const { user, thread } = await postgresOnly.userWithThread();
    const kept = await postgresOnly.send(user, thread.id, { content: 'before' });
    const gone = await postgresOnly.send(user, thread.id, { content: 'doomed', metadata: { x: 1 } });
    expect(expectData(await postgresOnly.edit(user, { id: kept.id, content: 'after' })).editMessage).toMatchObject({ content: 'after', revision: 2 });
    expect(expectData(await postgresOnly.remove(user, gone.id)).deleteMessage).toMatchObject({ content: '', parts: [], metadata: {}, revision: 2 });
    expect((await postgresOnly.page(user, thread.id)).map((m: any) => [m.content, m.revision])).toEqual([['after', 2], ['', 2]]);
    expect((await postgresOnly.byId(user, kept.id)).message.revisions.edges.map((edge: any) => edge.node.content)).toEqual(['before']);
    expectError(await postgresOnly.edit(newUserId('intruder'), { id: kept.id, content: 'hijacked' }), 'NOT_FOUND');
    expect(await row(kept.id)).toMatchObject({ content: 'after', revision: 2 });
  });

  it('an archived thread takes no edits, but its messages can be deleted', async () => {
    const { user, thread } = await userWithThread();
    const message = await send(user, thread.id, { content: 'history' });
    expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: thread.id }));
    expectError(await edit(user, { id: message.id, content: 'rewritten history' }), 'BAD_USER_INPUT');
    expect(await row(message.id)).toMatchObject({ content: 'history', revision: 1 });
    expect(expectData(await remove(user, message.id)).deleteMessage).toMatchObject({ content: '', revision: 2 });
  });

  it('keeps tool calls sound: an edit may change the text around them but not them; a message with them cannot be deleted; a streaming one neither', async () => {
    const { user, thread } = await userWithThread();
    const call = { toolCall: { callId: 'call_1', name: 'weather', arguments: { city: 'Oslo' } } };
    const turn = await send(user, thread.id, { role: 'ASSISTANT', parts: [{ text: 'Checking.' }, call] });
    const edited = expectData(await edit(user, { id: turn.id, parts: [{ text: 'Let me check.' }, call] })).editMessage;
    expect(edited).toMatchObject({ content: 'Let me check.', revision: 2, parts: [{ text: 'Let me check.' }, { callId: 'call_1', name: 'weather' }] });
    expectError(await edit(user, { id: turn.id, content: 'no call any more' }), 'BAD_USER_INPUT');
    expectError(await edit(user, { id: turn.id, parts: [{ text: 'x' }, { toolCall: { ...call.toolCall, callId: 'call_2' } }] }), 'BAD_USER_INPUT');
    expectError(await remove(user, turn.id), 'BAD_USER_INPUT');
    const plain = await send(user, thread.id, { content: 'plain' });
    expectError(await edit(user, { id: plain.id, parts: [{ text: 'now calling' }, { toolCall: { ...call.toolCall, callId: 'call_3' } }] }), 'BAD_USER_INPUT');
    expect(await row(plain.id)).toMatchObject({ content: 'plain', revision: 1 });

    const started = expectData(await app.gql(user, 'mutation($id: ID!) { startMessage(input: { threadId: $id }) { id } }', { id: thread.id })).startMessage;
    expectError(await edit(user, { id: started.id, content: 'not yet' }), 'BAD_USER_INPUT');
    expectError(await remove(user, started.id), 'BAD_USER_INPUT');
    expect(await row(turn.id)).toMatchObject({ content: 'Let me check.', revision: 2 });
  });
});

// No persister in this process, on a Redis database of this file's own (support/redis-databases.ts): a FAST send stays in
// Redis (window and stream) until the test starts one.

describe('editing and deleting a message only Redis has yet', () => {
  let app: TestApp;
  let redis: Redis;
  const persisters: TestPersister[] = [];
  const redisUrl = () => redisUrlOf('messageEdits');
  const { send, edit, remove, page, row, userWithThread } = helpers(() => app);

  beforeAll(async () => {
    app = await startTestApp({ env: { REDIS_URL: redisUrl(), RUN_WORKERS_IN_PROCESS: 'false' } });
    redis = new Redis(redisUrl());
  });
  afterEach(async () => {
    await Promise.all(persisters.splice(0).map((persister) => persister.stop()));
  });
  afterAll(async () => {
    redis.disconnect();
    await app.stop();
  });

  it('generateThreadTitle waits for the persister too: the first user message may be in Redis only', async () => {
    const { user, thread } = await userWithThread();
    expect((await send(user, thread.id, { content: 'Plan a trip to Porto' })).durability).toBe('HOT');
    const titling = app.gql(user, 'mutation($id: ID!) { generateThreadTitle(id: $id) { title } }', { id: thread.id });
    persisters.push(await startTestPersister(redisUrl(), app.db, 'titles-0'));
    expect(expectData(await titling).generateThreadTitle.title).toBe('Plan a trip to Porto');
  });

  it('waits for the persister, then changes the Postgres row; a redelivered original changes nothing', async () => {
    const { user, thread } = await userWithThread();
    const kept = await send(user, thread.id, { content: 'typo' });
    const gone = await send(user, thread.id, { content: 'regret' });
    expect([kept.durability, gone.durability]).toEqual(['HOT', 'HOT']);
    expect(await row(kept.id)).toBeUndefined();

    // Both wait for Postgres to have the messages; the persister starts only now.
    const editing = edit(user, { id: kept.id, content: 'fixed' });
    const deleting = remove(user, gone.id);
    persisters.push(await startTestPersister(redisUrl(), app.db, 'edits-0'));
    expect(expectData(await editing).editMessage).toMatchObject({ content: 'fixed', revision: 2 });
    expect(expectData(await deleting).deleteMessage).toMatchObject({ content: '', revision: 2 });

    // The originals are queued again, as a redelivery would bring them: the rows stay as changed.
    const originals = (await redis.xrange(PERSISTENCE_STREAM, '-', '+')).filter(([, fields]) => fields[1] === 'message' && [kept.id, gone.id].some((id) => fields[3]!.includes(id)));
    expect(originals).toHaveLength(2);
    for (const [, fields] of originals) await redis.xadd(PERSISTENCE_STREAM, '*', ...fields);
    expect(await waitUntilPersisted(redis, 10_000)).toBe(true);

    expect(await row(kept.id)).toMatchObject({ content: 'fixed', revision: 2, deleted_at: null });
    expect(await row(gone.id)).toMatchObject({ content: '', parts: [], revision: 2 });
    expect((await page(user, thread.id)).map((m: any) => [m.seq, m.content, m.revision])).toEqual([[1, 'fixed', 2], [2, '', 2]]);
    expect((await windowEntries(redis, thread.id)).map((entry) => [entry.seq, entry.content, entry.revision])).toEqual([[1, 'fixed', 2], [2, '', 2]]);
  });
});
