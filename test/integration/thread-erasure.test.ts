import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { countValue } from '../../src/archive/clickhouse-client.js';
import { erasureKeyOf } from '../../src/erasure/erasure-keys.js';
import { waitUntilPersisted } from '../../src/storage/persisted-barrier.js';
import { ERASED_THREADS, threadKeys } from '../../src/storage/redis-keys.js';
import { captureLog } from '../support/captured-log.js';
import { tracesOf } from '../support/erasure-traces.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../support/private-services.js';
import { SEND_MESSAGE, startSending, waitFor } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import { collect, connectAs, subscriptionsHeld } from '../support/ws-client.js';

// Erasure across the three tiers. Postgres and Redis are this file's own: its stream and consumer
// groups are this app's alone (the archiver that archived a thread is the one whose chDB the
// checks read, and "no key names the thread" is judged over a whole keyspace), and no other
// test's server picks up an erasure pending here and finishes it against tiers of its own.

const ERASURE = 'query($id: ID!) { erasure(threadId: $id) { threadId status reason requestedAt completedAt } }';
const DELETE = 'mutation($id: ID!) { deleteThread(id: $id) { threadId status reason requestedAt completedAt } }';
const DELETE_MANY = 'mutation($ids: [ID!]!) { deleteThreads(ids: $ids) { threadId status } }';
const START_MESSAGE = 'mutation($input: StartMessageInput!) { startMessage(input: $input) { id } }';
const APPEND = 'mutation($input: AppendMessageDeltaInput!) { appendMessageDelta(input: $input) { id } }';

/** What the tests ask of a server, for whichever app `current` returns. */
function erasureClient(current: () => TestApp) {
  const createThread = async (user: string, title = 'to be erased') =>
    expectData(await current().gql(user, 'mutation($t: String) { createThread(input: { title: $t }) { id } }', { t: title })).createThread.id as string;
  const send = async (user: string, threadId: string, content: string) =>
    expectData(await current().gql(user, SEND_MESSAGE, { input: { threadId, content } })).sendMessage;
  const erasureOf = async (user: string, threadId: string) => expectData(await current().gql(user, ERASURE, { id: threadId })).erasure;
  const completed = (user: string, threadId: string) =>
    waitFor(`the erasure of ${threadId} to complete`, async () => {
      const erasure = await erasureOf(user, threadId);
      return erasure?.status === 'COMPLETE' && erasure;
    }, 30_000);
  const archivedRows = async (threadId: string) => {
    const sql = `SELECT (SELECT count() FROM messages_archive WHERE thread_id = {t:String}) + (SELECT count() FROM run_transitions WHERE thread_id = {t:String}) AS n`;
    const [row] = await current().tiers.archive.client.query('testArchivedRows', sql, { t: threadId }, z.object({ n: countValue }));
    return row?.n ?? 0;
  };
  return { createThread, send, erasureOf, completed, archivedRows };
}

describe('erasing threads from every tier', () => {
  let postgres: PrivatePostgres;
  let redisServer: PrivateRedis;
  let redis: Redis;
  let app: TestApp;
  const logged = captureLog('info');

  beforeAll(async () => {
    [postgres, redisServer] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    redis = new Redis(redisServer.url);
    app = await startTestApp({ log: logged.log, env: { DATABASE_URL: postgres.url, REDIS_URL: redisServer.url, ERASURE_INTERVAL_MS: '50', ARCHIVE_FLUSH_INTERVAL_MS: '0' } });
  }, 90_000);
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
    await Promise.all([redisServer?.dispose(), postgres?.dispose()]);
    // Nothing of an erased thread was dead-lettered or failed: erasure is not an error.
    expect(logged.errors()).toEqual([]);
  });

  const tiers = () => ({ db: app.db, redis, archive: app.tiers.archive.client });
  const { createThread, send, erasureOf, completed, archivedRows } = erasureClient(() => app);
  /** A thread with something in every tier: persisted and archived messages, a run, a reply still streaming, a FAST message just acked. */
  async function threadInEveryTier(user: string): Promise<string> {
    const threadId = await createThread(user);
    for (let i = 0; i < 5; i++) await send(user, threadId, `archived ${i}`);
    const rated = await send(user, threadId, 'rated, then edited');
    expectData(await app.gql(user, 'mutation($id: ID!) { rateMessage(input: { id: $id, score: 1, comment: "good" }) { id } }', { id: rated.id }));
    expectData(await app.gql(user, 'mutation($id: ID!) { editMessage(input: { id: $id, content: "edited" }) { revision } }', { id: rated.id }));
    const runId = expectData(await app.gql(user, 'mutation($t: ID!) { startRun(input: { threadId: $t }) { id } }', { t: threadId })).startRun.id;
    expectData(await app.gql(user, 'mutation($id: ID!) { updateRunStatus(input: { id: $id, status: IN_PROGRESS }) { id } }', { id: runId }));
    await waitFor('the thread archived', async () => (await archivedRows(threadId)) >= 8);
    const draft = expectData(await app.gql(user, START_MESSAGE, { input: { threadId, runId, role: 'ASSISTANT' } })).startMessage;
    expectData(await app.gql(user, APPEND, { input: { id: draft.id, delta: 'half a rep' } }));
    await send(user, threadId, 'acked a moment ago');
    return threadId;
  }

  it('deleteThread answers PENDING, then COMPLETE: no Postgres row, no ClickHouse row, no Redis key or stream entry names the thread', async () => {
    const user = newUserId();
    const threadId = await threadInEveryTier(user);
    const { messages } = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { messages(first: 20) { edges { node { id } } } } }', { id: threadId })).thread;
    const messageId = messages.edges[0].node.id as string;
    const before = await tracesOf(threadId, tiers());
    expect(before.postgres.length).toBeGreaterThan(0);
    expect(before.clickhouse.length).toBeGreaterThan(0);
    expect(before.redis.length).toBeGreaterThan(0);

    const erasure = expectData(await app.gql(user, DELETE, { id: threadId })).deleteThread;
    expect(erasure).toMatchObject({ threadId, status: 'PENDING', reason: 'REQUESTED', completedAt: null });
    // Gone from the API at once, whatever the background still has to clean.
    const reads = expectData(
      await app.gql(user, 'query($t: ID!, $m: ID!) { thread(id: $t) { id } node(id: $t) { id } message(id: $m) { id } search: searchMessages(query: "archived") { edges { node { id } } } }', { t: threadId, m: messageId }),
    );
    expect(reads).toEqual({ thread: null, node: null, message: null, search: { edges: [] } });
    expectError(await app.gql(user, SEND_MESSAGE, { input: { threadId, content: 'too late' } }), 'NOT_FOUND');

    const done = await completed(user, threadId);
    expect(done).toMatchObject({ threadId, status: 'COMPLETE', reason: 'REQUESTED', requestedAt: erasure.requestedAt });
    expect(Date.parse(done.completedAt)).toBeGreaterThanOrEqual(Date.parse(erasure.requestedAt));
    // The stream drained (every acked write of the thread went past both groups) and still nothing came back.
    expect(await waitUntilPersisted(redis, 10_000)).toBe(true);
    expect(await tracesOf(threadId, tiers())).toEqual({ postgres: [], clickhouse: [], redis: [] });
    // The record that answers `erasure` holds a hash of the ID, not the ID.
    const record = await app.db.selectFrom('thread_erasures').selectAll().where('thread_key', '=', erasureKeyOf(threadId)).executeTakeFirstOrThrow();
    expect(record).toMatchObject({ status: 'COMPLETE', thread_id: null, stream_mark: null });
    // Salted with the thread ID: the owner cannot be found by hashing guesses of their ID.
    expect(record.owner_key).not.toBe(erasureKeyOf(user));
    // Redis remembers the hash, so nothing seeds the thread's hot state again.
    expect(await redis.zscore(ERASED_THREADS, erasureKeyOf(threadId))).not.toBeNull();
  });

  it('a send racing the delete is either refused (NOT_FOUND) or erased too; none reappears after the persister and archiver drain', async () => {
    const user = newUserId();
    const threadId = await createThread(user);
    await send(user, threadId, 'first');
    const inputs = Array.from({ length: 60 }, (_, i) => ({ threadId, content: `racing ${i}` }));
    const sending = startSending(app.gql, user, inputs, 6);
    await waitFor('some sends acked', async () => sending.acked.length >= 5);
    expectData(await app.gql(user, DELETE, { id: threadId }));
    await sending.done;
    for (const { response } of sending.refused) expect((response as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(sending.acked.length + sending.refused.length).toBe(60);
    expect(sending.refused.length).toBeGreaterThan(0);
    await completed(user, threadId);
    expect(await waitUntilPersisted(redis, 10_000)).toBe(true);
    expect(await tracesOf(threadId, tiers())).toEqual({ postgres: [], clickhouse: [], redis: [] });
  });

  it('ratings, forks and DURABLE sends racing the delete answer NOT_FOUND or succeed, never INTERNAL', async () => {
    const user = newUserId();
    for (let round = 0; round < 3; round++) {
      const threadId = await createThread(user);
      const { id: messageId } = await send(user, threadId, 'rate me');
      expect(await waitUntilPersisted(redis, 10_000)).toBe(true);
      const rate = () => app.gql(user, 'mutation($id: ID!) { rateMessage(input: { id: $id, score: 1, comment: "c" }) { id } }', { id: messageId });
      const fork = () => app.gql(user, 'mutation($id: ID!) { forkThread(input: { messageId: $id }) { id } }', { id: messageId });
      const durable = (i: number) => app.gql(user, SEND_MESSAGE, { input: { threadId, content: `durable ${i}`, durability: 'DURABLE' } });
      const racing = [...[0, 1, 2, 3].map(rate), ...[0, 1].map(fork), ...[0, 1, 2, 3].map(durable)];
      const [deleted, ...others] = await Promise.all([app.gql(user, DELETE, { id: threadId }), ...racing]);
      expect(deleted.data?.deleteThread?.status, JSON.stringify(deleted)).toBe('PENDING');
      for (const response of others) {
        const codes = (response.errors ?? []).map((error) => error.extensions?.code);
        expect(codes.every((code) => code === 'NOT_FOUND'), JSON.stringify(response)).toBe(true);
      }
      await completed(user, threadId);
    }
  });

  it('live subscribers get ThreadDeleted, then their subscription completes', async () => {
    const user = newUserId();
    const threadId = await createThread(user);
    const socket = await connectAs(app.url, { userId: user });
    const events = collect(socket.client, 'subscription($t: ID!) { threadEvents(threadId: $t) { __typename ... on ThreadDeleted { threadId } } }', { t: threadId });
    await subscriptionsHeld(app, 1);
    expectData(await app.gql(user, DELETE, { id: threadId }));
    await events.done;
    expect(events.events).toEqual([{ threadEvents: { __typename: 'ThreadDeleted', threadId } }]);
    expect(events.errors).toEqual([]);
    await subscriptionsHeld(app, 0);
    await socket.client.dispose();
  });

  it("another user's thread, an absent one and a malformed ID are refused and change nothing; another user's erasure reads as null", async () => {
    const [owner, intruder] = [newUserId('owner'), newUserId('intruder')];
    const threadId = await createThread(owner);
    await send(owner, threadId, 'mine');
    await waitFor('persisted', async () => (await ownerRows(app.db, owner)).messages.length === 1);
    const rows = await ownerRows(app.db, owner);
    expectError(await app.gql(intruder, DELETE, { id: threadId }), 'NOT_FOUND');
    expectError(await app.gql(intruder, DELETE_MANY, { ids: [threadId] }), 'NOT_FOUND');
    expectError(await app.gql(owner, DELETE, { id: 'thread_api_1757372478799_1_0badf00d' }), 'NOT_FOUND');
    expectError(await app.gql(owner, DELETE, { id: 'not-a-thread' }), 'INVALID_ID');
    expect(await ownerRows(app.db, owner)).toEqual(rows);
    expect(await redis.hget(threadKeys(threadId as never).meta, 'status')).toBe('ACTIVE');
    expect(await app.db.selectFrom('thread_erasures').select('thread_key').where('thread_key', '=', erasureKeyOf(threadId)).execute()).toEqual([]);

    expectData(await app.gql(owner, DELETE, { id: threadId }));
    expect(await erasureOf(intruder, threadId)).toBeNull();
    expect((await erasureOf(owner, threadId))?.threadId).toBe(threadId);
    expectError(await app.gql(owner, ERASURE, { id: 'nope' }), 'INVALID_ID');
    // Deleting twice: the thread is gone, so it is not found; the erasure record stays as it was.
    expectError(await app.gql(owner, DELETE, { id: threadId }), 'NOT_FOUND');
  });

  it('deleteThreads erases all the named threads or none, at most 100', async () => {
    const [user, other] = [newUserId(), newUserId('other')];
    const mine = [await createThread(user), await createThread(user), await createThread(user)];
    const theirs = await createThread(other);
    expectError(await app.gql(user, DELETE_MANY, { ids: [...mine, theirs] }), 'NOT_FOUND');
    expect((await ownerRows(app.db, user)).threads).toHaveLength(3);
    const tooMany = Array.from({ length: 101 }, () => mine[0]);
    expectError(await app.gql(user, DELETE_MANY, { ids: tooMany }), 'BAD_USER_INPUT');

    const erasures = expectData(await app.gql(user, DELETE_MANY, { ids: [mine[2], mine[0], mine[1], mine[0]] })).deleteThreads;
    expect(erasures).toEqual([mine[2], mine[0], mine[1]].map((threadId) => ({ threadId, status: 'PENDING' })));
    expect((await ownerRows(app.db, user)).threads).toEqual([]);
    expect((await ownerRows(app.db, other)).threads).toHaveLength(1);
    for (const threadId of mine) await completed(user, threadId);
  });

  it("deleteViewerData erases every thread of the viewer and nobody else's", async () => {
    const [user, other] = [newUserId(), newUserId('other')];
    const mine = [await createThread(user), await createThread(user)];
    await send(user, mine[0] as string, 'a message');
    const theirs = await createThread(other);
    const erasures = expectData(await app.gql(user, 'mutation { deleteViewerData { threadId status } }')).deleteViewerData;
    expect(erasures.map((erasure: { threadId: string }) => erasure.threadId).sort()).toEqual([...mine].sort());
    for (const threadId of mine) await completed(user, threadId);
    expect(await ownerRows(app.db, user)).toEqual({ threads: [], runs: [], messages: [] });
    expect(expectData(await app.gql(other, 'query($id: ID!) { thread(id: $id) { id } }', { id: theirs })).thread).toEqual({ id: theirs });
    // Nothing left to erase: an empty answer, not an error.
    expect(expectData(await app.gql(user, 'mutation { deleteViewerData { threadId } }')).deleteViewerData).toEqual([]);
  });

  it('an erasure waits PENDING (counted on /metrics) while the eraser cannot run, and completes once it can', async () => {
    const user = newUserId();
    const threadId = await createThread(user);
    await send(user, threadId, 'kept until the eraser runs');
    await app.tiers.eraser.stop();
    try {
      expectData(await app.gql(user, DELETE, { id: threadId }));
      expect((await erasureOf(user, threadId)).status).toBe('PENDING');
      const metrics = await (await fetch(new URL('/metrics', app.url))).text();
      expect(Number(/^threadline_erasures_pending (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
      // Postgres is clean at once, but for the pending record (the eraser needs the ID to finish);
      // Redis still has the tombstoned hot state.
      expect((await tracesOf(threadId, tiers())).postgres).toEqual(['thread_erasures: 1 row(s)']);
      expect(await redis.hget(threadKeys(threadId as never).meta, 'status')).toBe('DELETED');
    } finally {
      app.tiers.eraser.start();
    }
    await completed(user, threadId);
    expect(await tracesOf(threadId, tiers())).toEqual({ postgres: [], clickhouse: [], redis: [] });
  });
});

describe('erasing threads with the persister out of process', () => {
  let postgres: PrivatePostgres;
  let redisServer: PrivateRedis;
  let redis: Redis;
  let app: TestApp;
  let worker: WorkerProcess;
  const { createThread, send, completed, archivedRows } = erasureClient(() => app);

  beforeAll(async () => {
    [postgres, redisServer] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    redis = new Redis(redisServer.url);
    const env = { DATABASE_URL: postgres.url, REDIS_URL: redisServer.url, ARCHIVE_FLUSH_INTERVAL_MS: '0' };
    // Embedded chDB keeps the archiver in the server; the persister runs in a worker process.
    app = await startTestApp({ env: { ...env, RUN_WORKERS_IN_PROCESS: 'false', ERASURE_INTERVAL_MS: '50' } });
    worker = startWorkerProcess(['--only', 'persister'], { ...env, DATA_DIR: undefined });
    await worker.waitForLog('the worker to start', (line) => line.msg === 'worker started');
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    redis?.disconnect();
    await app?.stop();
    await Promise.all([redisServer?.dispose(), postgres?.dispose()]);
  });

  it('a FAST message acked just before the delete does not reappear once the worker and the archiver drain', async () => {
    const user = newUserId();
    const threadId = await createThread(user);
    for (let i = 0; i < 5; i++) await send(user, threadId, `persisted ${i}`);
    await waitFor('the thread archived', async () => (await archivedRows(threadId)) === 5);
    await send(user, threadId, 'acked just before the delete');
    expectData(await app.gql(user, DELETE, { id: threadId }));
    await completed(user, threadId);
    expect(await waitUntilPersisted(redis, 10_000)).toBe(true);
    expect(await tracesOf(threadId, { db: app.db, redis, archive: app.tiers.archive.client })).toEqual({ postgres: [], clickhouse: [], redis: [] });
    expect(worker.logs.filter((line) => line.level >= 50)).toEqual([]);
  });
});

describe('erasing threads with no Redis at all', () => {
  let postgres: PrivatePostgres;
  let app: TestApp;
  const { createThread, send, completed } = erasureClient(() => app);

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    app = await startTestApp({ env: { DATABASE_URL: postgres.url, DISABLE_REDIS: 'true', ERASURE_INTERVAL_MS: '50' } });
  }, 90_000);
  afterAll(async () => {
    await app?.stop();
    await postgres?.dispose();
  });

  it('deleteThread completes from Postgres alone: nothing is left in Postgres or ClickHouse', async () => {
    const user = newUserId();
    const threadId = await createThread(user);
    await send(user, threadId, 'written straight to Postgres');
    expect(expectData(await app.gql(user, DELETE, { id: threadId })).deleteThread.status).toBe('PENDING');
    await completed(user, threadId);
    const traces = await tracesOf(threadId, { db: app.db, redis: null, archive: app.tiers.archive.client });
    expect(traces).toEqual({ postgres: [], clickhouse: [], redis: [] });
  });
});
