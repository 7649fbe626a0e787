import { setTimeout as pause } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { expectData, expectError, type IdConnection } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const THREAD_FIELDS = 'id title status metadata createdAt updatedAt messageCount';

describe('threads', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  const threadRow = (id: string) => app.db.selectFrom('threads').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const threadCount = async (owner: string) => (await app.db.selectFrom('threads').select('id').where('owner_id', '=', owner).execute()).length;

  /** Threads created one after another, a few milliseconds apart, oldest first. */
  async function threadsInOrder(owner: string, count: number, fields: (i: number) => Parameters<ReturnType<typeof seed>['thread']>[1] = () => ({})) {
    const threads: Thread[] = [];
    for (let i = 0; i < count; i++) {
      threads.push(await seed(app.db).thread(owner, fields(i)));
      await pause(3);
    }
    return threads;
  }

  async function listIds(owner: string, args = 'first: 100', variables?: Record<string, unknown>): Promise<string[]> {
    const declaration = variables ? '($m: JSON)' : '';
    const data = expectData(await app.gql(owner, `query${declaration} { threads(${args}) { edges { node { id } } } }`, variables));
    return data.threads.edges.map((edge: { node: { id: string } }) => edge.node.id);
  }

  it('createThread returns the thread and stores it for the caller', async () => {
    const user = newUserId();
    const { createThread } = expectData(
      await app.gql(user, `mutation { createThread(input: { title: "Trip", metadata: { project: "apollo", n: 1 } }) { ${THREAD_FIELDS} } }`),
    );
    expect(createThread).toMatchObject({ title: 'Trip', status: 'ACTIVE', metadata: { project: 'apollo', n: 1 }, messageCount: 0 });
    expect(createThread.id).toMatch(/^thread_api_\d{13}_\d+_[0-9a-f]{8}$/);
    const row = await threadRow(createThread.id);
    expect(row).toMatchObject({ owner_id: user, title: 'Trip', status: 'ACTIVE', metadata: { project: 'apollo', n: 1 }, last_seq: 0 });
    expect(row.created_at.toISOString()).toBe(createThread.createdAt);

    const bare = expectData(await app.gql(user, 'mutation { createThread { id title metadata } }')).createThread;
    expect(bare).toMatchObject({ title: null, metadata: {} });
    expect(await threadCount(user)).toBe(2);
  });

  it('createThread refuses a title over 200 characters and stores nothing', async () => {
    const user = newUserId();
    const response = await app.gql(user, 'mutation($t: String) { createThread(input: { title: $t }) { id } }', { t: 'x'.repeat(201) });
    expect(expectError(response, 'BAD_USER_INPUT').message).toMatch(/200/);
    expect(await threadCount(user)).toBe(0);
  });

  it('thread(id) returns the caller\'s thread, and null for a well-formed unknown ID', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user, { title: 'mine', metadata: { a: 1 } });
    const data = expectData(await app.gql(user, `query($id: ID!) { thread(id: $id) { ${THREAD_FIELDS} } }`, { id: thread.id }));
    expect(data.thread).toMatchObject({ id: thread.id, title: 'mine', status: 'ACTIVE', metadata: { a: 1 }, messageCount: 0 });
    const unknown = await app.gql(user, 'query($id: ID!) { thread(id: $id) { id } }', { id: 'thread_api_1757372478799_1_00000000' });
    expect(unknown).toMatchObject({ data: { thread: null } });
    expect(unknown.errors).toBeUndefined();
  });

  it('lists newest activity first; sending a message moves a thread to the top', async () => {
    const user = newUserId();
    const [oldest, middle, newest] = (await threadsInOrder(user, 3)) as [Thread, Thread, Thread];
    expect(await listIds(user)).toEqual([newest.id, middle.id, oldest.id]);

    const sent = await app.gql(user, 'mutation($t: ID!) { sendMessage(input: { threadId: $t, content: "bump" }) { id } }', { t: oldest.id });
    expectData(sent);
    // A fast write reaches Postgres (and the activity order) through the persister, a moment later.
    await vi.waitFor(async () => expect(await listIds(user)).toEqual([oldest.id, newest.id, middle.id]), { timeout: 10_000, interval: 25 });
    const { thread } = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { messageCount updatedAt } }', { id: oldest.id }));
    expect(thread.messageCount).toBe(1);
    expect(new Date(thread.updatedAt).getTime()).toBeGreaterThan(newest.updatedAt.getTime());
  });

  it('walks every page forwards and backwards without duplicates or gaps, even across equal timestamps', async () => {
    const user = newUserId();
    const threads = await threadsInOrder(user, 9);
    // Four threads share one timestamp, so only the ID tie-breaker keeps their order stable.
    const tied = threads.slice(2, 6).map((thread) => thread.id);
    await app.db.updateTable('threads').set({ updated_at: new Date('2030-01-01T00:00:00.123Z') }).where('id', 'in', tied).execute();
    const expected = (
      await app.db.selectFrom('threads').select('id').where('owner_id', '=', user).orderBy('updated_at', 'desc').orderBy('id', 'desc').execute()
    ).map((row) => row.id);
    expect(await listIds(user)).toEqual(expected);

    const forwards: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const connection: IdConnection = expectData(
        await app.gql(user, 'query($after: String) { threads(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }', { after }),
      ).threads;
      forwards.push(...connection.edges.map((edge) => edge.node.id));
      expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1)?.cursor ?? null);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(forwards).toEqual(expected);

    const backwards: string[] = [];
    let before: string | null = null;
    for (let page = 0; page < 10; page++) {
      const connection: IdConnection = expectData(
        await app.gql(user, 'query($before: String) { threads(last: 2, before: $before) { edges { node { id } } pageInfo { hasPreviousPage startCursor } } }', { before }),
      ).threads;
      backwards.unshift(...connection.edges.map((edge) => edge.node.id));
      if (!connection.pageInfo.hasPreviousPage) break;
      before = connection.pageInfo.startCursor;
    }
    expect(backwards).toEqual(expected);
  });

  it('filters by status and by metadata containment, in SQL', async () => {
    const user = newUserId();
    const [plain, apollo, apolloTagged, archived] = (await threadsInOrder(user, 4, (i) => ({
      metadata: [{}, { project: 'apollo' }, { project: 'apollo', tags: ['a', 'b'], deep: { level: 2 } }, { project: 'apollo' }][i],
    }))) as [Thread, Thread, Thread, Thread];
    expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: archived.id }));

    expect(await listIds(user, 'first: 10, status: ACTIVE')).toEqual([apolloTagged.id, apollo.id, plain.id]);
    expect(await listIds(user, 'first: 10, status: ARCHIVED')).toEqual([archived.id]);
    expect(await listIds(user, 'first: 10, metadata: $m', { m: { project: 'apollo' } })).toEqual([archived.id, apolloTagged.id, apollo.id]);
    expect(await listIds(user, 'first: 10, metadata: $m', { m: { tags: ['b'] } })).toEqual([apolloTagged.id]);
    expect(await listIds(user, 'first: 10, metadata: $m', { m: { deep: { level: 2 } } })).toEqual([apolloTagged.id]);
    expect(await listIds(user, 'first: 10, metadata: $m', { m: { project: 'gemini' } })).toEqual([]);
    expect(await listIds(user, 'first: 10, metadata: $m, status: ACTIVE', { m: { project: 'apollo' } })).toEqual([apolloTagged.id, apollo.id]);
    expect(await listIds(user, 'first: 10, metadata: $m', { m: {} })).toHaveLength(4);
    expectError(await app.gql(user, 'query($m: JSON) { threads(metadata: $m) { edges { cursor } } }', { m: ['project'] }), 'BAD_USER_INPUT');
  });

  it('activeThread is the most recently active ACTIVE thread, or null', async () => {
    const user = newUserId();
    expect(expectData(await app.gql(user, '{ activeThread { id } }'))).toEqual({ activeThread: null });
    const [older, newer] = (await threadsInOrder(user, 2)) as [Thread, Thread];
    expect(expectData(await app.gql(user, '{ activeThread { id } }')).activeThread.id).toBe(newer.id);
    expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: newer.id }));
    expect(expectData(await app.gql(user, '{ activeThread { id } }')).activeThread.id).toBe(older.id);
  });

  describe('getOrCreateActiveThread', () => {
    const call = (user: string) => app.gql(user, 'mutation { getOrCreateActiveThread { id status } }');

    it('creates one thread, then keeps returning it', async () => {
      const user = newUserId();
      const first = expectData(await call(user)).getOrCreateActiveThread;
      expect(first).toMatchObject({ status: 'ACTIVE' });
      expect(first.id).toMatch(/^thread_session_/);
      expect(expectData(await call(user)).getOrCreateActiveThread.id).toBe(first.id);
      expect(await threadCount(user)).toBe(1);
      expect((await threadRow(first.id)).owner_id).toBe(user);
    });

    it('returns an existing active thread, and creates a new one when all are archived', async () => {
      const user = newUserId();
      const existing = await seed(app.db).thread(user);
      expect(expectData(await call(user)).getOrCreateActiveThread.id).toBe(existing.id);
      expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: existing.id }));
      const fresh = expectData(await call(user)).getOrCreateActiveThread.id;
      expect(fresh).not.toBe(existing.id);
      expect(await threadCount(user)).toBe(2);
    });

    it('creates exactly one thread under ten concurrent calls', async () => {
      // Several rounds, each a fresh user: one burst can happen to arrive one request at a time.
      for (let round = 0; round < 5; round++) {
        const user = newUserId();
        const responses = await Promise.all(Array.from({ length: 10 }, () => call(user)));
        const returned = new Set(responses.map((response) => expectData(response).getOrCreateActiveThread.id));
        expect(returned.size).toBe(1);
        expect(await threadCount(user)).toBe(1);
      }
    });
  });

  it('updateThread changes title and metadata, keeps an omitted title, and clears it with null', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user, { title: 'old', metadata: { keep: false } });
    const update = (input: string, variables: Record<string, unknown> = {}) =>
      app.gql(user, `mutation($id: ID!${'m' in variables ? ', $m: JSON' : ''}) { updateThread(input: { id: $id, ${input} }) { id title metadata updatedAt } }`, {
        id: thread.id,
        ...variables,
      });

    const renamed = expectData(await update('title: "new", metadata: $m', { m: { project: 'x' } })).updateThread;
    expect(renamed).toMatchObject({ id: thread.id, title: 'new', metadata: { project: 'x' } });
    let row = await threadRow(thread.id);
    expect(row).toMatchObject({ title: 'new', metadata: { project: 'x' } });
    expect(row.updated_at.getTime()).toBeGreaterThanOrEqual(thread.updatedAt.getTime());

    expectData(await update('metadata: $m', { m: { other: true } }));
    row = await threadRow(thread.id);
    expect(row).toMatchObject({ title: 'new', metadata: { other: true } });

    expect(expectData(await update('title: null')).updateThread.title).toBeNull();
    row = await threadRow(thread.id);
    expect(row).toMatchObject({ title: null, metadata: { other: true } });
  });

  it('updateThread refuses a title over 200 characters or non-object metadata, leaving the row as it was', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user, { title: 'stable', metadata: { v: 1 } });
    const before = await threadRow(thread.id);
    const tooLong = await app.gql(user, 'mutation($id: ID!, $t: String) { updateThread(input: { id: $id, title: $t }) { id } }', { id: thread.id, t: 'y'.repeat(201) });
    expectError(tooLong, 'BAD_USER_INPUT');
    const notObject = await app.gql(user, 'mutation($id: ID!, $m: JSON) { updateThread(input: { id: $id, metadata: $m }) { id } }', { id: thread.id, m: 'str' });
    expectError(notObject, 'BAD_USER_INPUT');
    expect(await threadRow(thread.id)).toEqual(before);
  });
});
