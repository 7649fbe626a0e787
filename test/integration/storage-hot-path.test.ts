import type { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { ids } from '../../src/ids/generate-ids.js';
import { insertMessageWithNextSeq } from '../../src/repositories/messages-repository.js';
import { createRedisClient } from '../../src/storage/redis-client.js';
import { PERSISTENCE_STREAM } from '../../src/storage/redis-keys.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { SEND_MESSAGE, storedMessages, waitForStoredCount, type AckedMessage } from '../support/stored-messages.js';
import { startTestPersister, type TestPersister } from '../support/test-persister.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { redisUrlOf } from '../support/redis-databases.js';

// The fast path with no persister in this process: this file's server uses a Redis database of
// its own (9), so the persisters of other files (database 0) never drain its stream either.
const THREAD_VIEW = `query($id: ID!) { thread(id: $id) { messageCount messages(last: 10) { edges { node { id seq durability content } } } } }`;

describe('storage: the Redis hot path', () => {
  let app: TestApp;
  let redis: Redis;
  let queries = 0;
  const persisters: TestPersister[] = [];
  const redisUrl = () => redisUrlOf('storageHotPath');

  beforeAll(async () => {
    app = await startTestApp({ env: { REDIS_URL: redisUrl(), RUN_WORKERS_IN_PROCESS: 'false' }, onQuery: () => void queries++ });
    redis = createRedisClient(redisUrl(), { name: 'hot-path-test', log: pino({ level: 'silent' }), commandTimeoutMs: 5_000 });
    await redis.connect();
  });
  afterEach(async () => {
    await Promise.all(persisters.splice(0).map((persister) => persister.stop()));
  });
  afterAll(async () => {
    redis.disconnect();
    await app.stop();
  });

  const send = async (user: string, input: Record<string, unknown>): Promise<AckedMessage> =>
    expectData(await app.gql(user, SEND_MESSAGE, { input })).sendMessage;
  const view = async (user: string, threadId: string) => expectData(await app.gql(user, THREAD_VIEW, { id: threadId })).thread;
  const nodes = (thread: { messages: { edges: Array<{ node: unknown }> } }) => thread.messages.edges.map((edge) => edge.node);

  /** A persister of the test's own on this file's stream, as `npm run worker` would run it. */
  async function startPersister(): Promise<void> {
    persisters.push(await startTestPersister(redisUrl(), app.db, `hot-path-${persisters.length}`));
  }

  /** The thread's message entries on the persistence stream. */
  async function queuedMessages(threadId: string) {
    const entries = await redis.xrange(PERSISTENCE_STREAM, '-', '+');
    return entries.filter(([, fields]) => fields[1] === 'message' && JSON.parse(fields[3] as string).threadId === threadId);
  }

  async function userWithThread(): Promise<{ user: string; thread: Thread }> {
    const user = newUserId();
    return { user, thread: await seed(app.db).thread(user) };
  }

  it('a FAST send is readable (messages and messageCount) the moment it is acked, HOT until a persister writes it, then DURABLE', async () => {
    const { user, thread } = await userWithThread();
    const sent = [];
    for (const content of ['one', 'two', 'three']) sent.push(await send(user, { threadId: thread.id, content }));
    expect(sent.map((m) => [m.seq, m.durability])).toEqual([[1, 'HOT'], [2, 'HOT'], [3, 'HOT']]);

    // No persister runs: Postgres has none of them, yet every read sees all three.
    expect(await storedMessages(app.db, [thread.id])).toEqual([]);
    const hot = await view(user, thread.id);
    expect(nodes(hot)).toEqual(sent.map(({ id, seq, content }) => ({ id, seq, content, durability: 'HOT' })));
    expect(hot.messageCount).toBe(3);

    await startPersister();
    await waitForStoredCount(app.db, [thread.id], 3);
    const rows = await storedMessages(app.db, [thread.id]);
    expect(rows.map((row) => [row.id, row.seq, row.content])).toEqual(sent.map((m) => [m.id, m.seq, m.content]));
    // The watermark moves right after the commit (and the in-process archiver may take them further).
    const atLeastDurable = (m: AckedMessage) => m.durability === 'DURABLE' || m.durability === 'ARCHIVED';
    await expect.poll(async () => (nodes(await view(user, thread.id)) as AckedMessage[]).every(atLeastDurable)).toBe(true);
    expect((await view(user, thread.id)).messageCount).toBe(3);
  });

  it('a send to a hot thread makes no Postgres round trip', async () => {
    const { user, thread } = await userWithThread();
    await send(user, { threadId: thread.id, content: 'warms the thread up' });
    queries = 0;
    await send(user, { threadId: thread.id, content: 'fast' });
    expect(queries).toBe(0);
  });

  it('a DURABLE send has its row in Postgres when the response arrives, and the seqs stay shared with FAST sends', async () => {
    const { user, thread } = await userWithThread();
    const fast = await send(user, { threadId: thread.id, content: 'fast first' });
    const durable = await send(user, { threadId: thread.id, content: 'wait for it', durability: 'DURABLE' });
    expect(durable).toMatchObject({ seq: 2, durability: 'DURABLE' });
    const rows = await storedMessages(app.db, [thread.id]);
    expect(rows.map((row) => [row.id, row.seq])).toEqual([[durable.id, 2]]);
    expect(fast.durability).toBe('HOT');

    const after = await send(user, { threadId: thread.id, content: 'fast again' });
    expect(after).toMatchObject({ seq: 3, durability: 'HOT' });
    const read = nodes(await view(user, thread.id)) as AckedMessage[];
    expect(read.map((m) => m.id)).toEqual([fast.id, durable.id, after.id]);

    await startPersister();
    await waitForStoredCount(app.db, [thread.id], 3);
    expect((await storedMessages(app.db, [thread.id])).map((row) => [row.id, row.seq])).toEqual([[fast.id, 1], [durable.id, 2], [after.id, 3]]);
  });

  describe('clientMessageId on the hot path', () => {
    it('a repeat, sequential or concurrent, returns the first message and queues nothing new', async () => {
      const { user, thread } = await userWithThread();
      const first = await send(user, { threadId: thread.id, content: 'once', clientMessageId: 'c-1' });
      const repeat = await send(user, { threadId: thread.id, content: 'retried with other text', clientMessageId: 'c-1' });
      expect(repeat).toEqual(first);

      const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => send(user, { threadId: thread.id, content: `burst ${i}`, clientMessageId: 'c-2' })));
      expect(new Set(burst.map((m) => m.id)).size).toBe(1);
      expect(burst[0]!.seq).toBe(2);
      expect((await send(user, { threadId: thread.id, content: 'next' })).seq).toBe(3);

      expect(await queuedMessages(thread.id)).toHaveLength(3);
      await startPersister();
      await waitForStoredCount(app.db, [thread.id], 3);
      expect((await storedMessages(app.db, [thread.id])).map((row) => [row.seq, row.client_message_id])).toEqual([[1, 'c-1'], [2, 'c-2'], [3, null]]);
    });

    it('on a thread whose hot state was seeded from Postgres, a key used before Redis knew the thread still returns the stored message', async () => {
      const { user, thread } = await userWithThread();
      const older = await app.db.transaction().execute(async (trx) => {
        const stored = [];
        for (const [content, key] of [['old 1', 'old-a'], ['old 2', null], ['old 3', 'old-b']] as const) {
          stored.push(await insertMessageWithNextSeq(trx, { id: ids.messageId(), threadId: thread.id, runId: null, role: 'USER', content, metadata: {}, clientMessageId: key , parts: null, actor: null}));
        }
        return stored;
      });

      // The thread is cold in Redis: the first send seeds it (last seq 3), the key is found in Postgres.
      const replay = await send(user, { threadId: thread.id, content: 'old 1 again', clientMessageId: 'old-a' });
      expect(replay).toMatchObject({ id: older[0]!.id, seq: 1, content: 'old 1', durability: 'DURABLE' });
      const fresh = await send(user, { threadId: thread.id, content: 'new', clientMessageId: 'new-a' });
      expect(fresh).toMatchObject({ seq: 4, durability: 'HOT' });
      // Now hot: old keys still resolve to Postgres, new ones to Redis.
      expect((await send(user, { threadId: thread.id, content: 'x', clientMessageId: 'old-b' })).id).toBe(older[2]!.id);
      expect((await send(user, { threadId: thread.id, content: 'x', clientMessageId: 'new-a' })).id).toBe(fresh.id);

      const thread5 = await view(user, thread.id);
      expect(thread5.messageCount).toBe(4);
      expect(nodes(thread5).map((m: any) => m.seq)).toEqual([1, 2, 3, 4]);
      await startPersister();
      await waitForStoredCount(app.db, [thread.id], 4);
    });
  });

  describe('refusals on the hot path store and queue nothing', () => {
    it('runId: a run of the thread is accepted (known or not yet known to Redis); another thread’s run or a missing run is refused', async () => {
      const { user, thread } = await userWithThread();
      const seeded = await seed(app.db).run(thread.id);
      expect((await send(user, { threadId: thread.id, content: 'by a seeded run', runId: seeded.id })).seq).toBe(1);

      const started = expectData(await app.gql(user, 'mutation($t: ID!) { startRun(input: { threadId: $t }) { id } }', { t: thread.id })).startRun;
      queries = 0;
      expect((await send(user, { threadId: thread.id, content: 'by a started run', runId: started.id })).seq).toBe(2);
      expect(queries, 'a run started through the API is known to the fast path').toBe(0);

      const other = await seed(app.db).thread(user);
      const foreignRun = await seed(app.db).run(other.id);
      expectError(await app.gql(user, SEND_MESSAGE, { input: { threadId: thread.id, content: 'x', runId: foreignRun.id } }), 'BAD_USER_INPUT');
      expectError(await app.gql(user, SEND_MESSAGE, { input: { threadId: thread.id, content: 'x', runId: ids.runId(thread.id) } }), 'NOT_FOUND');

      expect(await queuedMessages(thread.id)).toHaveLength(2);
      expect((await send(user, { threadId: thread.id, content: 'after the refusals' })).seq).toBe(3);
    });

    it('an archived thread refuses sends, whether it was archived through the API while hot or in Postgres while cold', async () => {
      const { user, thread } = await userWithThread();
      await send(user, { threadId: thread.id, content: 'before archiving' });
      expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { status } }', { id: thread.id }));
      expect(expectError(await app.gql(user, SEND_MESSAGE, { input: { threadId: thread.id, content: 'late' } }), 'BAD_USER_INPUT').message).toMatch(/archived/);

      const cold = await seed(app.db).thread(user);
      await app.db.updateTable('threads').set({ status: 'ARCHIVED' }).where('id', '=', cold.id).execute();
      expect(expectError(await app.gql(user, SEND_MESSAGE, { input: { threadId: cold.id, content: 'late' } }), 'BAD_USER_INPUT').message).toMatch(/archived/);
      expect((await view(user, thread.id)).messageCount).toBe(1);
    });

    it('another user’s thread is NOT_FOUND, cold or hot', async () => {
      const { user, thread } = await userWithThread();
      const intruder = newUserId('intruder');
      expectError(await app.gql(intruder, SEND_MESSAGE, { input: { threadId: thread.id, content: 'cold' } }), 'NOT_FOUND');
      await send(user, { threadId: thread.id, content: 'now hot' });
      expectError(await app.gql(intruder, SEND_MESSAGE, { input: { threadId: thread.id, content: 'hot' } }), 'NOT_FOUND');
      expect(nodes(await view(user, thread.id))).toHaveLength(1);
    });
  });
});
