import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { SEND_MESSAGE, storedMessages, waitForStoredCount, type AckedMessage } from '../support/stored-messages.js';
import { startTestPersister, type TestPersister } from '../support/test-persister.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { redisUrlOf } from '../support/redis-databases.js';

// No persister in this process, on a Redis database of this file's own (support/redis-databases.ts): FAST sends stay in
// Redis until a test starts one, so the counts are seen while Postgres trails.
const ABSENT_THREAD_ID = 'thread_api_1757372478799_1_0badf00d';
const MARK = 'mutation($input: MarkThreadReadInput!) { markThreadRead(input: $input) { id lastReadSeq unreadCount messageCount updatedAt } }';
const READ_STATE = 'query($id: ID!) { thread(id: $id) { lastReadSeq unreadCount messageCount } }';
const UNREAD_THREADS = '{ viewer { unreadThreadCount } }';

/** Read state against one server: FAST sends through Redis, or (DISABLE_REDIS) the Postgres path. */
function readStateHelpers(app: () => TestApp) {
  const send = async (user: string, threadId: string, content = 'hello'): Promise<AckedMessage> =>
    expectData(await app().gql(user, SEND_MESSAGE, { input: { threadId, content } })).sendMessage;
  const sendMany = async (user: string, threadId: string, count: number) => {
    const sent = [];
    for (let i = 0; i < count; i++) sent.push(await send(user, threadId, `message ${i}`));
    return sent;
  };
  const mark = (user: string, threadId: string, seq: number) => app().gql(user, MARK, { input: { threadId, seq } });
  const readState = async (user: string, threadId: string) => expectData(await app().gql(user, READ_STATE, { id: threadId })).thread;
  const unreadThreads = async (user: string): Promise<number> => expectData(await app().gql(user, UNREAD_THREADS)).viewer.unreadThreadCount;
  const storedReadSeq = async (threadId: string) =>
    (await app().db.selectFrom('threads').select('last_read_seq').where('id', '=', threadId).executeTakeFirstOrThrow()).last_read_seq;
  const userWithThread = async (): Promise<{ user: string; thread: Thread }> => {
    const user = newUserId();
    return { user, thread: await seed(app().db).thread(user) };
  };
  return { send, sendMany, mark, readState, unreadThreads, storedReadSeq, userWithThread };
}

describe('read state: markThreadRead, Thread.lastReadSeq / unreadCount, Viewer.unreadThreadCount', () => {
  let app: TestApp;
  let queries = 0;
  const persisters: TestPersister[] = [];
  const redisUrl = () => redisUrlOf('readState');
  const { send, sendMany, mark, readState, unreadThreads, storedReadSeq, userWithThread } = readStateHelpers(() => app);

  beforeAll(async () => {
    app = await startTestApp({ env: { REDIS_URL: redisUrl(), RUN_WORKERS_IN_PROCESS: 'false' }, onQuery: () => void queries++ });
  });
  afterEach(async () => {
    await Promise.all(persisters.splice(0).map((persister) => persister.stop()));
  });
  afterAll(() => app.stop());

  it('marks a thread read and reads the position back, in the response, a later query and the database; activity is not touched', async () => {
    const { user, thread } = await userWithThread();
    await sendMany(user, thread.id, 3);
    const before = await app.db.selectFrom('threads').select('updated_at').where('id', '=', thread.id).executeTakeFirstOrThrow();

    const { markThreadRead } = expectData(await mark(user, thread.id, 2));
    expect(markThreadRead).toMatchObject({ id: thread.id, lastReadSeq: 2, unreadCount: 1, messageCount: 3 });
    expect(await readState(user, thread.id)).toEqual({ lastReadSeq: 2, unreadCount: 1, messageCount: 3 });
    expect(await storedReadSeq(thread.id)).toBe(2);
    expect(markThreadRead.updatedAt).toBe(before.updated_at.toISOString());
  });

  it('a new thread has read nothing: lastReadSeq 0, and marking 0 on an empty thread is accepted', async () => {
    const { user, thread } = await userWithThread();
    expect(await readState(user, thread.id)).toEqual({ lastReadSeq: 0, unreadCount: 0, messageCount: 0 });
    expect(expectData(await mark(user, thread.id, 0)).markThreadRead).toMatchObject({ lastReadSeq: 0, unreadCount: 0 });
  });

  it('never moves backwards: a lower seq keeps the higher position', async () => {
    const { user, thread } = await userWithThread();
    await sendMany(user, thread.id, 4);
    expectData(await mark(user, thread.id, 3));
    for (const lower of [1, 0, 2]) {
      expect(expectData(await mark(user, thread.id, lower)).markThreadRead).toMatchObject({ lastReadSeq: 3, unreadCount: 1 });
    }
    expect(await storedReadSeq(thread.id)).toBe(3);
  });

  it('counts messages acked on the fast path that Postgres does not have yet, and keeps the count once the persister catches up', async () => {
    const { user, thread } = await userWithThread();
    const sent = await sendMany(user, thread.id, 5);
    expect(sent.map((m) => m.durability)).toEqual(Array(5).fill('HOT'));
    expect(await storedMessages(app.db, [thread.id])).toEqual([]);
    expect(await readState(user, thread.id)).toEqual({ lastReadSeq: 0, unreadCount: 5, messageCount: 5 });

    // Marked up to a seq only Redis knows of: Postgres's last_seq is still 0.
    expect(expectData(await mark(user, thread.id, 5)).markThreadRead).toMatchObject({ lastReadSeq: 5, unreadCount: 0 });
    expect(await storedReadSeq(thread.id)).toBe(5);
    await sendMany(user, thread.id, 2);
    expect(await readState(user, thread.id)).toEqual({ lastReadSeq: 5, unreadCount: 2, messageCount: 7 });

    persisters.push(await startTestPersister(redisUrl(), app.db, 'read-state-0'));
    await waitForStoredCount(app.db, [thread.id], 7);
    expect(await readState(user, thread.id)).toEqual({ lastReadSeq: 5, unreadCount: 2, messageCount: 7 });
  });

  it('concurrent marks end at the highest seq marked, whatever order they commit in', async () => {
    const { user, thread } = await userWithThread();
    await sendMany(user, thread.id, 30);
    const seqs = Array.from({ length: 30 }, (_, i) => i + 1).sort(() => Math.random() - 0.5);
    const responses = await Promise.all(seqs.map((seq) => mark(user, thread.id, seq)));
    responses.forEach((response) => expectData(response));
    expect(await storedReadSeq(thread.id)).toBe(30);
    expect(await readState(user, thread.id)).toEqual({ lastReadSeq: 30, unreadCount: 0, messageCount: 30 });
  });

  it('two devices sending and marking at once end exactly consistent: unreadCount = lastSeq - the highest seq marked', async () => {
    const { user, thread } = await userWithThread();
    const marked: number[] = [];
    /** A device that sends, and marks read what it has just seen (its own message, or the newest it knows of). */
    const device = async (name: string) => {
      for (let i = 0; i < 15; i++) {
        const message = await send(user, thread.id, `${name} ${i}`);
        const seen = i % 3 === 0 ? (await readState(user, thread.id)).messageCount : message.seq;
        expectData(await mark(user, thread.id, seen));
        marked.push(seen);
      }
    };
    await Promise.all([device('phone'), device('laptop')]);

    const highest = Math.max(...marked);
    const final = await readState(user, thread.id);
    expect(final.messageCount).toBe(30);
    expect(final.lastReadSeq).toBe(highest);
    expect(final.unreadCount).toBe(30 - highest);
    expect(await storedReadSeq(thread.id)).toBe(highest);
  });

  it('refuses a seq past the newest message (Redis-acked ones included) or below 0, and changes nothing', async () => {
    const { user, thread } = await userWithThread();
    await sendMany(user, thread.id, 2);
    expectData(await mark(user, thread.id, 1));
    for (const seq of [3, 100]) {
      const error = expectError(await mark(user, thread.id, seq), 'BAD_USER_INPUT');
      expect(error.message).toContain(`seq ${seq}`);
    }
    expectError(await mark(user, thread.id, -1), 'BAD_USER_INPUT');
    expect(await storedReadSeq(thread.id)).toBe(1);
    expect(await readState(user, thread.id)).toEqual({ lastReadSeq: 1, unreadCount: 1, messageCount: 2 });
  });

  it("answers NOT_FOUND for another user's thread and for a missing one, changing nothing; INVALID_ID for a malformed ID", async () => {
    const { user: owner, thread } = await userWithThread();
    await sendMany(owner, thread.id, 3);
    expectData(await mark(owner, thread.id, 1));
    const intruder = newUserId('intruder');

    const foreign = await mark(intruder, thread.id, 3);
    expect(expectError(foreign, 'NOT_FOUND').message).toContain(thread.id);
    expect(foreign.data).toBeNull();
    expectError(await mark(intruder, thread.id, 0), 'NOT_FOUND');
    expectError(await mark(owner, ABSENT_THREAD_ID, 0), 'NOT_FOUND');
    expectError(await mark(owner, 'not-a-thread', 0), 'INVALID_ID');

    expect(await storedReadSeq(thread.id)).toBe(1);
    expect(await readState(owner, thread.id)).toEqual({ lastReadSeq: 1, unreadCount: 2, messageCount: 3 });
    expect(await unreadThreads(intruder)).toBe(0);
  });

  it("unreadThreadCount counts the viewer's ACTIVE threads with unread messages, Redis-only ones included, and nobody else's", async () => {
    const user = newUserId();
    const [unread, readToEnd, empty, archived] = await Promise.all([1, 2, 3, 4].map(() => seed(app.db).thread(user)));
    await sendMany(user, unread!.id, 2);
    await sendMany(user, readToEnd!.id, 2);
    expectData(await mark(user, readToEnd!.id, 2));
    await sendMany(user, archived!.id, 1);
    expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: archived!.id }));
    void empty;
    const other = await userWithThread();
    await sendMany(other.user, other.thread.id, 1);

    expect(await unreadThreads(user)).toBe(1);
    // The archived thread still reports its own count; it only stays out of the viewer's total.
    expect((await readState(user, archived!.id)).unreadCount).toBe(1);
    // Reading is not writing: an archived thread can be marked.
    expect(expectData(await mark(user, archived!.id, 1)).markThreadRead).toMatchObject({ lastReadSeq: 1, unreadCount: 0 });
    await send(user, readToEnd!.id);
    expect(await unreadThreads(user)).toBe(2);
    expectData(await mark(user, unread!.id, 2));
    expect(await unreadThreads(user)).toBe(1);
    expect(await unreadThreads(other.user)).toBe(1);
  });

  it('a page of threads with their read state costs the same SQL whether it holds 2 threads or 6', async () => {
    const PAGE = '{ threads(first: 10) { edges { node { id lastReadSeq unreadCount messageCount } } } }';
    const pageQueries = async (threads: number) => {
      const user = newUserId();
      for (let i = 0; i < threads; i++) {
        const thread = await seed(app.db).thread(user);
        await sendMany(user, thread.id, 2);
        expectData(await mark(user, thread.id, 1));
      }
      queries = 0;
      const nodes = expectData(await app.gql(user, PAGE)).threads.edges.map((edge: { node: unknown }) => edge.node);
      expect(nodes).toHaveLength(threads);
      for (const node of nodes) expect(node).toMatchObject({ lastReadSeq: 1, unreadCount: 1, messageCount: 2 });
      return queries;
    };
    expect(await pageQueries(6)).toBe(await pageQueries(2));
  });
});

// DISABLE_REDIS=true: no hot tier. Every send takes the Postgres path, and so does every count.
describe('read state without Redis (the Postgres path)', () => {
  let app: TestApp;
  const { sendMany, mark, readState, unreadThreads, storedReadSeq, userWithThread } = readStateHelpers(() => app);
  beforeAll(async () => {
    app = await startTestApp({ env: { DISABLE_REDIS: 'true' } });
  });
  afterAll(() => app.stop());

  it('marks, never moves backwards, refuses past the end and counts unread threads', async () => {
    const { user, thread } = await userWithThread();
    const sent = await sendMany(user, thread.id, 3);
    expect(sent.map((m) => m.durability)).toEqual(['DURABLE', 'DURABLE', 'DURABLE']);
    expect(await readState(user, thread.id)).toEqual({ lastReadSeq: 0, unreadCount: 3, messageCount: 3 });
    expect(await unreadThreads(user)).toBe(1);

    expect(expectData(await mark(user, thread.id, 2)).markThreadRead).toMatchObject({ lastReadSeq: 2, unreadCount: 1 });
    expect(expectData(await mark(user, thread.id, 1)).markThreadRead).toMatchObject({ lastReadSeq: 2, unreadCount: 1 });
    expectError(await mark(user, thread.id, 4), 'BAD_USER_INPUT');
    expect(await storedReadSeq(thread.id)).toBe(2);

    const responses = await Promise.all([3, 2, 3, 1].map((seq) => mark(user, thread.id, seq)));
    responses.forEach((response) => expectData(response));
    expect(await readState(user, thread.id)).toEqual({ lastReadSeq: 3, unreadCount: 0, messageCount: 3 });
    expect(await unreadThreads(user)).toBe(0);
    expectError(await mark(newUserId('intruder'), thread.id, 3), 'NOT_FOUND');
  });
});
