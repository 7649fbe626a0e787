import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { Message } from '../../src/domain/message.js';
import type { Thread } from '../../src/domain/thread.js';
import { ids } from '../../src/ids/generate-ids.js';
import { MESSAGE_ID_REGEX } from '../../src/ids/id-formats.js';
import { insertMessageWithNextSeq } from '../../src/repositories/messages-repository.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { PARTS_SELECTION as PARTS } from '../support/parts-selection.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { seed } from '../support/seed.js';
import { waitForStoredCount } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const NODE = `id seq role content ${PARTS} metadata actor runId clientMessageId status createdAt`;
const FORK = `mutation($input: ForkThreadInput!) {
  forkThread(input: $input) { id title status metadata createdAt messageCount lastReadSeq unreadCount forkedFrom { seq thread { id } } }
}`;
const PAGE = `query($id: ID!) {
  thread(id: $id) { messageCount forkedFrom { seq } messages(first: 100) { edges { node { ${NODE} } } } runs(first: 5) { edges { node { id } } } }
}`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq } }`;

type Gql = TestApp['gql'];
type Node = Record<string, unknown> & { id: string; seq: number };

const forkAt = (gql: Gql, user: string, messageId: string) => gql(user, FORK, { input: { messageId } });
const send = async (gql: Gql, user: string, input: Record<string, unknown>): Promise<{ id: string; seq: number }> =>
  expectData(await gql(user, SEND, { input })).sendMessage;
interface Page {
  messageCount: number;
  forkedFrom: { seq: number } | null;
  runs: { edges: Array<{ node: { id: string } }> };
  nodes: Node[];
}
async function pageOf(gql: Gql, user: string, threadId: string): Promise<Page> {
  const { thread } = expectData(await gql(user, PAGE, { id: threadId }));
  return { ...thread, nodes: thread.messages.edges.map((edge: { node: Node }) => edge.node) };
}

/** What a copy keeps of its original: everything but the ID, the run, the client message ID and the time. */
const copied = (node: Node) => {
  const { id: _id, runId: _runId, clientMessageId: _clientMessageId, createdAt: _createdAt, ...kept } = node;
  return { ...kept, runId: null, clientMessageId: null };
};

/** The stored form of each message of a thread, as a fork must reproduce it, in seq order. */
async function storedCopies(app: TestApp, threadId: string) {
  const rows = await app.db
    .selectFrom('messages')
    .select(['seq', 'role', 'content', 'parts', 'metadata', 'actor', 'status'])
    .where('thread_id', '=', threadId)
    .orderBy('seq')
    .execute();
  return rows;
}

/** Threads that name `sourceId` as their origin. */
const forksOf = (app: TestApp, sourceId: string) =>
  app.db.selectFrom('threads').select(['id', 'forked_from_seq']).where('forked_from_thread_id', '=', sourceId).execute();

describe('forkThread', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { PERSISTER_BLOCK_MS: '20', ARCHIVE_FLUSH_INTERVAL_MS: '20' } });
  });
  afterAll(() => app?.stop());

  it('copies every message up to the one named, exactly, into a new thread of the viewer: via the API, in Postgres and in the archive', async () => {
    const user = newUserId();
    const source = await seed(app.db).thread(user, { title: 'Trip planning', metadata: { project: 'travel' } });
    const run = await seed(app.db).run(source.id);
    // seq 1 written by an agent on the user's behalf (the actor), straight to Postgres; the rest through the API.
    await app.db.transaction().execute((trx) =>
      insertMessageWithNextSeq(trx, {
        id: ids.messageId(), threadId: source.id, runId: null, role: 'USER', content: 'Find me a train', parts: null,
        metadata: { lang: 'en' }, clientMessageId: null, actor: 'agent-7',
      }),
    );
    const call = await send(app.gql, user, {
      threadId: source.id, role: 'ASSISTANT', runId: run.id, clientMessageId: 'turn-2', metadata: { model: 'm1', temperature: 0.2 },
      parts: [
        { reasoning: 'Lyon to Turin: ask the timetable tool.' },
        { text: 'Let me look. ' },
        { toolCall: { callId: 'call_1', name: 'timetable', arguments: { from: 'Lyon', to: 'Turin' } } },
        { file: { uri: 'https://files.example/map.png', mediaType: 'image/png', name: 'map.png', sizeBytes: 512 } },
      ],
    });
    await send(app.gql, user, { threadId: source.id, role: 'TOOL', parts: [{ toolResult: { callId: 'call_1', output: { trains: 3 } } }] });
    const last = await send(app.gql, user, { threadId: source.id, content: 'The 9:10, please', durability: 'DURABLE' });

    const { forkThread: fork } = expectData(await forkAt(app.gql, user, last.id));
    expect(fork).toMatchObject({
      title: 'Trip planning', status: 'ACTIVE', metadata: {}, messageCount: 4, lastReadSeq: 4, unreadCount: 0,
      forkedFrom: { seq: 4, thread: { id: source.id } },
    });
    expect(fork.id).not.toBe(source.id);

    const original = await pageOf(app.gql, user, source.id);
    const copy = await pageOf(app.gql, user, fork.id);
    expect(copy.nodes.map(copied)).toEqual(original.nodes.map(copied));
    expect(copy.nodes.map((node) => node.seq)).toEqual([1, 2, 3, 4]);
    expect(copy.nodes[0]).toMatchObject({ actor: 'agent-7', metadata: { lang: 'en' } });
    for (const node of copy.nodes) expect(node).toMatchObject({ id: expect.stringMatching(MESSAGE_ID_REGEX), runId: null, clientMessageId: null, createdAt: fork.createdAt });
    expect(new Set([...copy.nodes, ...original.nodes].map((node) => node.id)).size).toBe(8);
    expect(copy.runs.edges).toEqual([]);
    expect(original).toMatchObject({ messageCount: 4, forkedFrom: null, runs: { edges: [{ node: { id: run.id } }] } });

    await waitForStoredCount(app.db, [source.id], 4);
    expect(await storedCopies(app, fork.id)).toEqual(await storedCopies(app, source.id));
    const row = await app.db.selectFrom('threads').selectAll().where('id', '=', fork.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ owner_id: user, forked_from_thread_id: source.id, forked_from_seq: 4, last_seq: 4, last_read_seq: 4 });
    const storedIds = await app.db.selectFrom('messages').select(['id', 'run_id', 'client_message_id']).where('thread_id', '=', fork.id).orderBy('seq').execute();
    expect(storedIds).toEqual(copy.nodes.map((node) => ({ id: node.id, run_id: null, client_message_id: null })));

    // The copies reached the persistence stream through the outbox, so the archive has them too.
    const archived = () =>
      app.tiers.archive.client.query(
        'test.forkArchived',
        'SELECT DISTINCT message_id AS id, toUInt32(seq) AS seq FROM messages_archive WHERE thread_id = {thread:String} ORDER BY seq',
        { thread: fork.id },
        z.object({ id: z.string(), seq: z.coerce.number() }),
      );
    await vi.waitFor(async () => expect(await archived()).toEqual(copy.nodes.map(({ id, seq }) => ({ id, seq }))), { timeout: 20_000, interval: 100 });

    // Tool calls travel with the parts: in the full copy call_1 is answered, in a fork made at the call it is open.
    const answer = { role: 'TOOL', parts: [{ toolResult: { callId: 'call_1', output: { trains: 2 } } }] };
    expect(expectError(await app.gql(user, SEND, { input: { threadId: fork.id, ...answer } }), 'BAD_USER_INPUT').message).toContain('call_1');
    const { forkThread: atCall } = expectData(await forkAt(app.gql, user, call.id));
    expect(await send(app.gql, user, { threadId: atCall.id, ...answer })).toMatchObject({ seq: 3 });
  });

  it('forks the middle of a thread: the copy ends at that message, takes sends at the next seq, and the source goes on as before', async () => {
    const user = newUserId();
    const source = await seed(app.db).thread(user, { title: null });
    const [, second] = (await seed(app.db).messages(source.id, ['a', 'b', 'c', 'd'])) as Message[];
    const { forkThread: fork } = expectData(await forkAt(app.gql, user, second!.id));
    expect(fork).toMatchObject({ title: null, messageCount: 2, forkedFrom: { seq: 2, thread: { id: source.id } } });

    expect(await send(app.gql, user, { threadId: fork.id, content: 'e' })).toMatchObject({ seq: 3 });
    expect(await send(app.gql, user, { threadId: fork.id, content: 'f', durability: 'DURABLE' })).toMatchObject({ seq: 4 });
    expect(await send(app.gql, user, { threadId: source.id, content: 'e2' })).toMatchObject({ seq: 5 });
    const copy = await pageOf(app.gql, user, fork.id);
    expect(copy.nodes.map((node) => [node.seq, node.content])).toEqual([[1, 'a'], [2, 'b'], [3, 'e'], [4, 'f']]);
    expect(copy.messageCount).toBe(4);

    await waitForStoredCount(app.db, [fork.id], 4);
    expect((await storedCopies(app, fork.id)).map((row) => [row.seq, row.content])).toEqual([[1, 'a'], [2, 'b'], [3, 'e'], [4, 'f']]);
    expect((await pageOf(app.gql, user, source.id)).nodes.map((node) => node.content)).toEqual(['a', 'b', 'c', 'd', 'e2']);
  });

  it('copies an edited message at its newest version (revision 1, no history) and a tombstone as a tombstone (revision 2)', async () => {
    const user = newUserId();
    const source = await seed(app.db).thread(user);
    const [edited, deleted, last] = (await seed(app.db).messages(source.id, ['draft', 'regret', 'kept'])) as Message[];
    expectData(await app.gql(user, 'mutation($id: ID!) { editMessage(input: { id: $id, content: "final" }) { id } }', { id: edited!.id }));
    expectData(await app.gql(user, 'mutation($id: ID!) { deleteMessage(id: $id) { id } }', { id: deleted!.id }));
    const { forkThread: fork } = expectData(await forkAt(app.gql, user, last!.id));
    const copies = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { messages(first: 10) { edges { node { seq content revision deletedAt revisions(first: 5) { edges { node { revision } } } } } } } }', { id: fork.id }))
      .thread.messages.edges.map((edge: any) => ({ ...edge.node, deletedAt: edge.node.deletedAt !== null, revisions: edge.node.revisions.edges.length }));
    expect(copies).toEqual([
      { seq: 1, content: 'final', revision: 1, deletedAt: false, revisions: 0 },
      { seq: 2, content: '', revision: 2, deletedAt: true, revisions: 0 },
      { seq: 3, content: 'kept', revision: 1, deletedAt: false, revisions: 0 },
    ]);
  });

  it('copies a thread longer than one batch whole, in order', async () => {
    const user = newUserId();
    const source = await seed(app.db).thread(user, { title: 'long' });
    const contents = Array.from({ length: 1_001 }, (_, index) => `message ${index + 1}`);
    const messages = await seed(app.db).messages(source.id, contents);
    const { forkThread: fork } = expectData(await forkAt(app.gql, user, messages.at(-1)!.id));
    expect(fork.messageCount).toBe(1_001);
    const stored = await storedCopies(app, fork.id);
    expect(stored.map((row) => [row.seq, row.content])).toEqual(contents.map((content, index) => [index + 1, content]));
  });

  it('forks an archived thread into an ACTIVE one; deleting the source later leaves the fork whole, its forkedFrom without a thread', async () => {
    const user = newUserId();
    const source = await seed(app.db).thread(user, { title: 'old' });
    const [, second] = (await seed(app.db).messages(source.id, ['x', 'y'])) as Message[];
    expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: source.id }));
    const { forkThread: fork } = expectData(await forkAt(app.gql, user, second!.id));
    expect(fork).toMatchObject({ title: 'old', status: 'ACTIVE', forkedFrom: { seq: 2, thread: { id: source.id } } });
    expect(await send(app.gql, user, { threadId: fork.id, content: 'z' })).toMatchObject({ seq: 3 });

    // No mutation deletes a thread yet; the row goes as a deletion would take it (its messages cascade).
    await app.db.deleteFrom('threads').where('id', '=', source.id).execute();
    const { thread } = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { forkedFrom { seq thread { id } } messageCount } }', { id: fork.id }));
    expect(thread).toEqual({ forkedFrom: { seq: 2, thread: null }, messageCount: 3 });
    expect((await pageOf(app.gql, user, fork.id)).nodes.map((node) => node.content)).toEqual(['x', 'y', 'z']);
    expect(await app.db.selectFrom('threads').select(['forked_from_thread_id', 'forked_from_seq']).where('id', '=', fork.id).executeTakeFirstOrThrow()).toEqual({
      forked_from_thread_id: null,
      forked_from_seq: 2,
    });
  });

  it("refuses another user's message and a missing one with NOT_FOUND, and a malformed ID with INVALID_ID, creating nothing", async () => {
    const owner = newUserId('owner');
    const intruder = newUserId('intruder');
    const source = await seed(app.db).thread(owner, { title: 'private' });
    const [message] = (await seed(app.db).messages(source.id, ['secret'])) as Message[];
    const before = { owner: await ownerRows(app.db, owner), intruder: await ownerRows(app.db, intruder) };

    expect(expectError(await forkAt(app.gql, intruder, message!.id), 'NOT_FOUND').message).toContain(message!.id);
    const absent = 'msg_1757372478799_1_0badf00d';
    expect(expectError(await forkAt(app.gql, owner, absent), 'NOT_FOUND').message).toContain(absent);
    for (const malformed of ['msg_nope', source.id, '']) {
      const response = await forkAt(app.gql, owner, malformed);
      expect(expectError(response, 'INVALID_ID').message).toContain(`Invalid message ID ${JSON.stringify(malformed)}`);
      expect(response.data).toBeNull();
    }

    expect({ owner: await ownerRows(app.db, owner), intruder: await ownerRows(app.db, intruder) }).toEqual(before);
    expect(before.intruder.threads).toEqual([]);
    expect(await forksOf(app, source.id)).toEqual([]);
  });

  it('refuses a range holding a message still streaming with BAD_USER_INPUT, creating nothing; once it completes, the fork copies it', async () => {
    const user = newUserId();
    const source: Thread = await seed(app.db).thread(user);
    const [first] = (await seed(app.db).messages(source.id, ['question'])) as Message[];
    const streaming = expectData(await app.gql(user, 'mutation($t: ID!) { startMessage(input: { threadId: $t }) { id seq } }', { t: source.id })).startMessage;
    expectData(await app.gql(user, 'mutation($id: ID!) { appendMessageDelta(input: { id: $id, delta: "half an ans" }) { id } }', { id: streaming.id }));
    const after = await send(app.gql, user, { threadId: source.id, content: 'are you there?' });
    // The persister may still be writing the source's FAST messages: compare the threads, not their rows.
    const threadIds = async () => (await ownerRows(app.db, user)).threads.map((thread) => thread.id);
    const threadsBefore = await threadIds();

    // At the streaming message itself, and past it (found while copying).
    for (const at of [streaming.id, after.id]) {
      const error = expectError(await forkAt(app.gql, user, at), 'BAD_USER_INPUT');
      expect(error.message).toContain(`Message ${streaming.id} (seq 2)`);
      expect(error.message).toContain('still streaming');
    }
    expect(await threadIds()).toEqual(threadsBefore);
    expect(await forksOf(app, source.id)).toEqual([]);

    // Before it, the fork is fine.
    expect(expectData(await forkAt(app.gql, user, first!.id)).forkThread).toMatchObject({ messageCount: 1 });

    expectData(await app.gql(user, 'mutation($id: ID!) { appendMessageDelta(input: { id: $id, delta: "wer" }) { id } }', { id: streaming.id }));
    expectData(await app.gql(user, 'mutation($id: ID!) { completeMessage(id: $id) { id } }', { id: streaming.id }));
    const { forkThread: fork } = expectData(await forkAt(app.gql, user, after.id));
    const copy = await pageOf(app.gql, user, fork.id);
    expect(copy.nodes.map((node) => [node.seq, node.role, node.content, node.status])).toEqual([
      [1, 'USER', 'question', 'COMPLETED'],
      [2, 'ASSISTANT', 'half an answer', 'COMPLETED'],
      [3, 'USER', 'are you there?', 'COMPLETED'],
    ]);
    expect((await forksOf(app, source.id)).map((row) => row.forked_from_seq).sort()).toEqual([1, 3]);
  });
});

// Messages acked on the fast path a moment ago may be in Redis only: the fork reads them through
// the same path as every read. A redis-server of this block's own and no persister, so those
// messages are certainly in Redis only when the fork runs.
describe('forkThread of messages not yet persisted', () => {
  let redis: PrivateRedis;
  let app: TestApp;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    app = await startTestApp({ env: { REDIS_URL: redis.url, RUN_WORKERS_IN_PROCESS: 'false' } });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await redis?.dispose();
  });

  it('copies FAST-acked messages that only Redis holds, writes the copies to Postgres, and the fork takes sends after them', async () => {
    const user = newUserId();
    const { createThread: source } = expectData(await app.gql(user, 'mutation { createThread(input: { title: "hot" }) { id } }'));
    await send(app.gql, user, { threadId: source.id, content: 'one', metadata: { n: 1 } });
    await send(app.gql, user, { threadId: source.id, role: 'ASSISTANT', parts: [{ reasoning: 'think' }, { text: 'two' }] });
    const third = await send(app.gql, user, { threadId: source.id, content: 'three' });
    expect(await storedCopies(app, source.id)).toEqual([]);

    const { forkThread: fork } = expectData(await forkAt(app.gql, user, third.id));
    expect(fork).toMatchObject({ title: 'hot', messageCount: 3, forkedFrom: { seq: 3, thread: { id: source.id } } });
    const original = await pageOf(app.gql, user, source.id);
    const copy = await pageOf(app.gql, user, fork.id);
    expect(copy.nodes.map(copied)).toEqual(original.nodes.map(copied));
    expect(await storedCopies(app, fork.id)).toEqual([
      { seq: 1, role: 'USER', content: 'one', parts: null, metadata: { n: 1 }, actor: null, status: 'COMPLETED' },
      {
        seq: 2, role: 'ASSISTANT', content: 'two', parts: [{ type: 'reasoning', text: 'think' }, { type: 'text', text: 'two' }],
        metadata: {}, actor: null, status: 'COMPLETED',
      },
      { seq: 3, role: 'USER', content: 'three', parts: null, metadata: {}, actor: null, status: 'COMPLETED' },
    ]);

    expect(await send(app.gql, user, { threadId: fork.id, content: 'four' })).toMatchObject({ seq: 4 });
    expect((await pageOf(app.gql, user, fork.id)).nodes.map((node) => node.content)).toEqual(['one', 'two', 'three', 'four']);
  });
});

// With no Redis at all, every read and write takes Postgres: the fork too, and the sends after it.
describe('forkThread without Redis', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { DISABLE_REDIS: 'true' } });
  });
  afterAll(() => app?.stop());

  it('forks from Postgres alone, and the fork takes sends at the next seq', async () => {
    const user = newUserId();
    const source = await seed(app.db).thread(user, { title: 'cold' });
    const [, second] = (await seed(app.db).messages(source.id, ['p', 'q', 'r'])) as Message[];
    const { forkThread: fork } = expectData(await forkAt(app.gql, user, second!.id));
    expect(fork).toMatchObject({ title: 'cold', messageCount: 2, forkedFrom: { seq: 2, thread: { id: source.id } } });
    expect(await send(app.gql, user, { threadId: fork.id, content: 's' })).toMatchObject({ seq: 3 });
    expect((await storedCopies(app, fork.id)).map((row) => [row.seq, row.content])).toEqual([[1, 'p'], [2, 'q'], [3, 's']]);
  });
});
