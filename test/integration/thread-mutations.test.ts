import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, subscriptionsHeld } from '../support/ws-client.js';

const ABSENT_THREAD_ID = 'thread_api_1757372478799_1_0badf00d';

describe('archiving and titling threads', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  const statusesOf = async (ids: string[]) =>
    Object.fromEntries((await app.db.selectFrom('threads').select(['id', 'status']).where('id', 'in', ids).execute()).map((row) => [row.id, row.status]));
  const archiveMany = (user: string, ids: string[]) => app.gql(user, 'mutation($ids: [ID!]!) { archiveThreads(ids: $ids) { id status } }', { ids });

  describe('archiveThread', () => {
    it('archives the thread in the database and moves it to the ARCHIVED list', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user, { title: 'done' });
      const { archiveThread } = expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id status title updatedAt } }', { id: thread.id }));
      expect(archiveThread).toMatchObject({ id: thread.id, status: 'ARCHIVED', title: 'done' });
      const row = await app.db.selectFrom('threads').selectAll().where('id', '=', thread.id).executeTakeFirstOrThrow();
      expect(row.status).toBe('ARCHIVED');
      expect(row.updated_at.toISOString()).toBe(archiveThread.updatedAt);

      const lists = expectData(
        await app.gql(user, '{ active: threads(status: ACTIVE) { edges { node { id } } } archived: threads(status: ARCHIVED) { edges { node { id } } } }'),
      );
      expect(lists.active.edges).toEqual([]);
      expect(lists.archived.edges).toEqual([{ node: { id: thread.id } }]);
    });

    it('answers NOT_FOUND for a well-formed ID that does not exist', async () => {
      const user = newUserId();
      const response = await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: ABSENT_THREAD_ID });
      expect(expectError(response, 'NOT_FOUND').message).toContain(ABSENT_THREAD_ID);
      expect(response.data).toBeNull();
    });
  });

  describe('unarchiveThread', () => {
    const UNARCHIVE = 'mutation($id: ID!) { unarchiveThread(id: $id) { id status title updatedAt } }';
    const THREAD_UPDATES = 'subscription($threadId: ID!) { threadEvents(threadId: $threadId) { __typename ... on ThreadUpdated { thread { id status } } } }';

    it('round trip: archive then unarchive makes the thread ACTIVE again, in the database, Redis and to subscribers', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user, { title: 'back' });
      const { client } = await connectAs(app.url, { userId: user });
      try {
        const before = app.realtime.subscriptions;
        const sub = collect(client, THREAD_UPDATES, { threadId: thread.id });
        await subscriptionsHeld(app, before + 1);
        expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: thread.id }));
        const send = 'mutation($t: ID!) { sendMessage(input: { threadId: $t, content: "x" }) { id } }';
        expectError(await app.gql(user, send, { t: thread.id }), 'BAD_USER_INPUT');

        const { unarchiveThread } = expectData(await app.gql(user, UNARCHIVE, { id: thread.id }));
        expect(unarchiveThread).toMatchObject({ id: thread.id, status: 'ACTIVE', title: 'back' });
        const row = await app.db.selectFrom('threads').selectAll().where('id', '=', thread.id).executeTakeFirstOrThrow();
        expect(row.status).toBe('ACTIVE');
        expect(row.updated_at.toISOString()).toBe(unarchiveThread.updatedAt);
        // The fast path heard of it through the outbox: the thread takes messages again.
        expectData(await app.gql(user, send, { t: thread.id }));

        const events = (await sub.received(2)).map((event) => event.threadEvents);
        expect(events).toEqual([
          { __typename: 'ThreadUpdated', thread: { id: thread.id, status: 'ARCHIVED' } },
          { __typename: 'ThreadUpdated', thread: { id: thread.id, status: 'ACTIVE' } },
        ]);
        sub.stop();
      } finally {
        await client.dispose();
      }
    });

    it('returns a thread that is not archived as it is, writing nothing', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user, { title: 'never archived' });
      const before = await ownerRows(app.db, user);
      const { unarchiveThread } = expectData(await app.gql(user, UNARCHIVE, { id: thread.id }));
      expect(unarchiveThread).toEqual({ id: thread.id, status: 'ACTIVE', title: 'never archived', updatedAt: thread.updatedAt.toISOString() });
      expect(await ownerRows(app.db, user)).toEqual(before);
    });

    it("refuses another user's archived thread with NOT_FOUND and leaves it archived", async () => {
      const owner = newUserId();
      const intruder = newUserId('intruder');
      const thread = await seed(app.db).thread(owner);
      expectData(await app.gql(owner, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: thread.id }));
      const before = await ownerRows(app.db, owner);
      const response = await app.gql(intruder, UNARCHIVE, { id: thread.id });
      expect(expectError(response, 'NOT_FOUND').message).toContain(thread.id);
      expect(response.data).toBeNull();
      expect(await ownerRows(app.db, owner)).toEqual(before);
      expect(await statusesOf([thread.id])).toEqual({ [thread.id]: 'ARCHIVED' });
    });

    it('refuses a malformed ID with INVALID_ID and a well-formed absent one with NOT_FOUND', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user);
      const before = await ownerRows(app.db, user);
      expect(expectError(await app.gql(user, UNARCHIVE, { id: 'thread_nope' }), 'INVALID_ID').message).toContain('thread_nope');
      expectError(await app.gql(user, UNARCHIVE, { id: ABSENT_THREAD_ID }), 'NOT_FOUND');
      expect(await ownerRows(app.db, user)).toEqual(before);
      expect(await statusesOf([thread.id])).toEqual({ [thread.id]: 'ACTIVE' });
    });
  });

  describe('archiveThreads', () => {
    it('archives all the named threads and leaves the others alone', async () => {
      const user = newUserId();
      const [a, b, c] = (await Promise.all([1, 2, 3].map(() => seed(app.db).thread(user)))) as [Thread, Thread, Thread];
      const { archiveThreads } = expectData(await archiveMany(user, [a.id, b.id]));
      expect(archiveThreads.map((thread: { id: string }) => thread.id).sort()).toEqual([a.id, b.id].sort());
      expect(archiveThreads.every((thread: { status: string }) => thread.status === 'ARCHIVED')).toBe(true);
      expect(await statusesOf([a.id, b.id, c.id])).toEqual({ [a.id]: 'ARCHIVED', [b.id]: 'ARCHIVED', [c.id]: 'ACTIVE' });
    });

    it('archives nothing when one ID belongs to another user', async () => {
      const user = newUserId();
      const other = newUserId('other');
      const [mine1, mine2] = (await Promise.all([1, 2].map(() => seed(app.db).thread(user)))) as [Thread, Thread];
      const foreign = await seed(app.db).thread(other);
      const before = { mine: await ownerRows(app.db, user), theirs: await ownerRows(app.db, other) };

      const response = await archiveMany(user, [mine1.id, foreign.id, mine2.id]);
      expectError(response, 'NOT_FOUND');
      expect(response.data).toBeNull();
      expect(await statusesOf([mine1.id, mine2.id, foreign.id])).toEqual({ [mine1.id]: 'ACTIVE', [mine2.id]: 'ACTIVE', [foreign.id]: 'ACTIVE' });
      expect({ mine: await ownerRows(app.db, user), theirs: await ownerRows(app.db, other) }).toEqual(before);
    });

    it('archives nothing when one ID does not exist', async () => {
      const user = newUserId();
      const [mine1, mine2] = (await Promise.all([1, 2].map(() => seed(app.db).thread(user)))) as [Thread, Thread];
      const before = await ownerRows(app.db, user);
      const response = await archiveMany(user, [mine1.id, mine2.id, ABSENT_THREAD_ID]);
      expect(expectError(response, 'NOT_FOUND').message).toContain(ABSENT_THREAD_ID);
      expect(await ownerRows(app.db, user)).toEqual(before);
    });

    it('refuses more than 100 IDs with BAD_USER_INPUT and archives nothing', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user);
      expectError(await archiveMany(user, Array.from({ length: 101 }, () => thread.id)), 'BAD_USER_INPUT');
      expect(await statusesOf([thread.id])).toEqual({ [thread.id]: 'ACTIVE' });
    });
  });

  describe('generateThreadTitle', () => {
    const generate = (user: string, id: string) => app.gql(user, 'mutation($id: ID!) { generateThreadTitle(id: $id) { id title } }', { id });
    const titleOf = async (id: string) => (await app.db.selectFrom('threads').select('title').where('id', '=', id).executeTakeFirstOrThrow()).title;

    it('derives the title from the first USER message, deterministically', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user);
      await seed(app.db).messages(thread.id, ['You are a travel assistant.'], 'SYSTEM');
      await seed(app.db).messages(thread.id, ['Hello! How can I help?'], 'ASSISTANT');
      await seed(app.db).messages(thread.id, ['## Plan a *trip* to Lisbon in May. Bring an umbrella?\nDetails follow.', 'Second user message']);

      const first = expectData(await generate(user, thread.id)).generateThreadTitle;
      expect(first).toEqual({ id: thread.id, title: 'Plan a trip to Lisbon in May' });
      expect(await titleOf(thread.id)).toBe('Plan a trip to Lisbon in May');

      await app.db.updateTable('threads').set({ title: 'edited by hand' }).where('id', '=', thread.id).execute();
      expect(expectData(await generate(user, thread.id)).generateThreadTitle.title).toBe('Plan a trip to Lisbon in May');
      expect(await titleOf(thread.id)).toBe('Plan a trip to Lisbon in May');
    });

    it('shortens a long first message at a word boundary', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user);
      await seed(app.db).messages(thread.id, [`${'word '.repeat(40)}end`]);
      const title = expectData(await generate(user, thread.id)).generateThreadTitle.title as string;
      expect(title.length).toBeLessThanOrEqual(60);
      expect(title).toMatch(/^word( word)*…$/);
      expect(await titleOf(thread.id)).toBe(title);
    });

    it('refuses a thread with no user message with BAD_USER_INPUT, keeping its title', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user, { title: 'keep me' });
      await seed(app.db).messages(thread.id, ['I speak first'], 'ASSISTANT');
      const before = await ownerRows(app.db, user);
      const response = await generate(user, thread.id);
      expect(expectError(response, 'BAD_USER_INPUT').message).toMatch(/no user message/);
      expect(response.data).toBeNull();
      expect(await ownerRows(app.db, user)).toEqual(before);

      const empty = await seed(app.db).thread(user, { title: 'empty' });
      expectError(await generate(user, empty.id), 'BAD_USER_INPUT');
      expect(await titleOf(empty.id)).toBe('empty');
    });
  });
});
