import { sql, type LogEvent } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { expectData, expectError, type IdConnection } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const LIST = `query($first: Int, $after: String, $last: Int, $before: String, $title: String, $since: DateTime, $order: ThreadOrder, $status: ThreadStatus) {
  threads(first: $first, after: $after, last: $last, before: $before, titleContains: $title, updatedAfter: $since, orderBy: $order, status: $status) {
    edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;
const COUNT = `query($first: Int, $title: String, $since: DateTime, $status: ThreadStatus) {
  threads(first: $first, titleContains: $title, updatedAfter: $since, status: $status) { totalCount edges { node { id } } }
}`;

describe('threads: titleContains, updatedAfter, orderBy, totalCount', () => {
  let app: TestApp;
  const statements: string[] = [];
  beforeAll(async () => {
    app = await startTestApp({ onQuery: (event: LogEvent) => void statements.push(event.query.sql) });
  });
  afterAll(() => app.stop());

  const list = async (user: string, variables: Record<string, unknown>): Promise<IdConnection> => expectData(await app.gql(user, LIST, variables)).threads;
  const idsOf = async (user: string, variables: Record<string, unknown>) => (await list(user, { first: 100, ...variables })).edges.map((edge) => edge.node.id);

  /** Threads with the given creation and activity times (ISO strings), and titles. */
  async function threadsAt(user: string, rows: Array<{ title?: string | null; created: string; updated: string }>): Promise<Thread[]> {
    const threads: Thread[] = [];
    for (const row of rows) {
      const thread = await seed(app.db).thread(user, { title: row.title ?? null });
      await app.db.updateTable('threads').set({ created_at: row.created, updated_at: row.updated }).where('id', '=', thread.id).execute();
      threads.push(thread);
    }
    return threads;
  }

  /** The owner's thread IDs as Postgres orders them, the expected answer of each order. */
  async function expectedOrder(user: string, column: 'created_at' | 'updated_at', direction: 'asc' | 'desc'): Promise<string[]> {
    const rows = await app.db.selectFrom('threads').select('id').where('owner_id', '=', user).orderBy(column, direction).orderBy('id', direction).execute();
    return rows.map((row) => row.id);
  }

  /** Every page of 2, forwards through `after` and backwards through `before`. */
  async function walk(user: string, variables: Record<string, unknown>): Promise<{ forwards: string[]; backwards: string[] }> {
    const read = async (forwards: boolean) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const connection = await list(user, { ...variables, ...(forwards ? { first: 2, after: cursor } : { last: 2, before: cursor }) });
        const pageIds = connection.edges.map((edge) => edge.node.id);
        if (forwards) ids.push(...pageIds);
        else ids.unshift(...pageIds);
        const { hasNextPage, hasPreviousPage, endCursor, startCursor } = connection.pageInfo;
        if (!(forwards ? hasNextPage : hasPreviousPage)) break;
        cursor = forwards ? endCursor : startCursor;
      }
      return ids;
    };
    return { forwards: await read(true), backwards: await read(false) };
  }

  describe('titleContains', () => {
    it('matches a substring of the title ignoring case, never an untitled thread', async () => {
      const user = newUserId();
      const [trip, lisbon, _other] = await threadsAt(user, [
        { title: 'Trip to LISBON', created: '2030-01-01T00:00:01Z', updated: '2030-01-01T00:00:01Z' },
        { title: 'lisbon restaurants', created: '2030-01-01T00:00:02Z', updated: '2030-01-01T00:00:02Z' },
        { title: 'Porto', created: '2030-01-01T00:00:03Z', updated: '2030-01-01T00:00:03Z' },
        { title: null, created: '2030-01-01T00:00:04Z', updated: '2030-01-01T00:00:04Z' },
      ]) as [Thread, Thread, Thread, Thread];
      expect(await idsOf(user, { title: 'Lisbon' })).toEqual([lisbon.id, trip.id]);
      expect(await idsOf(user, { title: 'TRIP TO' })).toEqual([trip.id]);
      expect(await idsOf(user, { title: 'madrid' })).toEqual([]);
      expect(await idsOf(user, { title: '' })).toHaveLength(3);
      expect(await idsOf(user, { title: null })).toHaveLength(4);
    });

    it('takes %, _ and \\ literally', async () => {
      const user = newUserId();
      const [percent, plain, underscore, letter, backslash, noBackslash] = await threadsAt(
        user,
        ['100% done', '100 done', 'a_b', 'axb', 'C:\\temp', 'C:temp'].map((title, i) => ({ title, created: `2030-01-01T00:00:0${i}Z`, updated: `2030-01-01T00:00:0${i}Z` })),
      ) as [Thread, Thread, Thread, Thread, Thread, Thread];
      expect(await idsOf(user, { title: '%' })).toEqual([percent.id]);
      expect(await idsOf(user, { title: '0% d' })).toEqual([percent.id]);
      expect(await idsOf(user, { title: '_' })).toEqual([underscore.id]);
      expect(await idsOf(user, { title: 'a_b' })).toEqual([underscore.id]);
      expect(await idsOf(user, { title: '\\' })).toEqual([backslash.id]);
      expect(await idsOf(user, { title: ':\\t' })).toEqual([backslash.id]);
      expect(await idsOf(user, { title: '\\%' })).toEqual([]);
      expect([plain, letter, noBackslash].every((thread) => thread.title !== null)).toBe(true);
    });

    it('refuses more than 200 characters with BAD_USER_INPUT, and takes 200', async () => {
      const user = newUserId();
      const response = await app.gql(user, LIST, { first: 10, title: 'x'.repeat(201) });
      expect(expectError(response, 'BAD_USER_INPUT').message).toMatch(/200/);
      expect(await idsOf(user, { title: 'x'.repeat(200) })).toEqual([]);
    });
  });

  describe('updatedAfter', () => {
    it('keeps threads last active strictly after the instant, with the other filters', async () => {
      const user = newUserId();
      const [old, edge, fresh, archived] = await threadsAt(user, [
        { title: 'old', created: '2030-01-01T00:00:00Z', updated: '2030-01-01T00:00:00Z' },
        { title: 'edge', created: '2030-01-01T00:00:00Z', updated: '2030-02-01T00:00:00.000Z' },
        { title: 'fresh', created: '2030-01-01T00:00:00Z', updated: '2030-02-01T00:00:00.001Z' },
        { title: 'fresh archived', created: '2030-01-01T00:00:00Z', updated: '2030-03-01T00:00:00Z' },
      ]) as [Thread, Thread, Thread, Thread];
      await app.db.updateTable('threads').set({ status: 'ARCHIVED' }).where('id', '=', archived.id).execute();
      expect(await idsOf(user, { since: '2030-02-01T00:00:00.000Z' })).toEqual([archived.id, fresh.id]);
      expect(await idsOf(user, { since: '2030-02-01T00:00:00Z', status: 'ACTIVE' })).toEqual([fresh.id]);
      expect(await idsOf(user, { since: '2030-01-31T23:59:59.999Z', title: 'e' })).toEqual([archived.id, fresh.id, edge.id]);
      expect(await idsOf(user, { since: '2029-12-31T00:00:00Z' })).toContain(old.id);
      expectError(await app.gql(user, LIST, { first: 1, since: 'yesterday' }), 'BAD_USER_INPUT');
    });
  });

  describe('orderBy', () => {
    /** Nine threads whose creation and activity orders differ, with ties in both. */
    async function mixedThreads(user: string): Promise<Thread[]> {
      const created = ['01', '02', '03', '03', '03', '04', '05', '06', '07'];
      const updated = ['09', '01', '05', '05', '02', '08', '05', '03', '04'];
      return threadsAt(user, created.map((c, i) => ({ title: `t${i}`, created: `2030-01-01T00:00:${c}Z`, updated: `2030-01-02T00:00:${updated[i]}Z` })));
    }

    it.each([
      ['UPDATED_AT_DESC', 'updated_at', 'desc'],
      ['CREATED_AT_DESC', 'created_at', 'desc'],
      ['CREATED_AT_ASC', 'created_at', 'asc'],
    ] as const)('%s walks every page both ways without a gap or a duplicate, ties broken by ID', async (order, column, direction) => {
      const user = newUserId();
      await mixedThreads(user);
      const expected = await expectedOrder(user, column, direction);
      expect(await idsOf(user, { order })).toEqual(expected);
      expect(await walk(user, { order })).toEqual({ forwards: expected, backwards: expected });
    });

    it('the default is UPDATED_AT_DESC, with the same cursors as before orders existed', async () => {
      const user = newUserId();
      await mixedThreads(user);
      const implicit = await list(user, { first: 3 });
      const explicit = await list(user, { first: 3, order: 'UPDATED_AT_DESC' });
      expect(explicit).toEqual(implicit);
      expect(Buffer.from(implicit.pageInfo.endCursor as string, 'base64url').toString()).toMatch(/^t:\d+:thread_/);
      expect(await idsOf(user, { order: 'UPDATED_AT_DESC', after: implicit.pageInfo.endCursor })).toEqual(
        (await expectedOrder(user, 'updated_at', 'desc')).slice(3),
      );
    });

    it('a cursor of one order is refused by another with BAD_USER_INPUT', async () => {
      const user = newUserId();
      await mixedThreads(user);
      const cursors = {
        UPDATED_AT_DESC: (await list(user, { first: 2 })).pageInfo.endCursor,
        CREATED_AT_DESC: (await list(user, { first: 2, order: 'CREATED_AT_DESC' })).pageInfo.endCursor,
        CREATED_AT_ASC: (await list(user, { first: 2, order: 'CREATED_AT_ASC' })).pageInfo.endCursor,
      };
      for (const [from, cursor] of Object.entries(cursors)) {
        for (const order of Object.keys(cursors).filter((other) => other !== from)) {
          expectError(await app.gql(user, LIST, { first: 2, after: cursor, order }), 'BAD_USER_INPUT');
          expectError(await app.gql(user, LIST, { last: 2, before: cursor, order }), 'BAD_USER_INPUT');
        }
      }
    });

    it('combines with the filters, page by page', async () => {
      const user = newUserId();
      const threads = await mixedThreads(user);
      await app.db.updateTable('threads').set({ title: 'skip' }).where('id', 'in', [threads[2]!.id, threads[6]!.id]).execute();
      const expected = (await expectedOrder(user, 'created_at', 'asc')).filter((id) => id !== threads[2]!.id && id !== threads[6]!.id && id !== threads[1]!.id);
      // t1 was last active at :01, before the cut.
      const variables = { order: 'CREATED_AT_ASC', title: 'T', since: '2030-01-02T00:00:01Z' };
      expect(await walk(user, variables)).toEqual({ forwards: expected, backwards: expected });
    });
  });

  describe('totalCount', () => {
    it('counts every thread that passes the filters, whatever the page size', async () => {
      const user = newUserId();
      await threadsAt(user, [
        { title: 'alpha one', created: '2030-01-01T00:00:01Z', updated: '2030-01-01T00:00:01Z' },
        { title: 'alpha two', created: '2030-01-01T00:00:02Z', updated: '2030-01-05T00:00:00Z' },
        { title: 'beta', created: '2030-01-01T00:00:03Z', updated: '2030-01-05T00:00:00Z' },
        { title: 'Alpha archived', created: '2030-01-01T00:00:04Z', updated: '2030-01-05T00:00:00Z' },
      ]).then(async ([, , , archived]) => app.db.updateTable('threads').set({ status: 'ARCHIVED' }).where('id', '=', archived!.id).execute());
      const count = async (variables: Record<string, unknown>) => expectData(await app.gql(user, COUNT, variables)).threads;

      expect(await count({ first: 1 })).toMatchObject({ totalCount: 4 });
      expect((await count({ first: 1 })).edges).toHaveLength(1);
      expect((await count({ first: 0 })).totalCount).toBe(4);
      expect((await count({ first: 10, title: 'ALPHA' })).totalCount).toBe(3);
      expect((await count({ first: 10, title: 'alpha', status: 'ACTIVE' })).totalCount).toBe(2);
      expect((await count({ first: 10, title: 'alpha', since: '2030-01-02T00:00:00Z' })).totalCount).toBe(2);
      expect((await count({ first: 10, title: 'gamma' })).totalCount).toBe(0);
      expect(expectData(await app.gql(newUserId('nobody'), COUNT, { first: 1 })).threads).toEqual({ totalCount: 0, edges: [] });
    });

    it('is counted only when selected', async () => {
      const user = newUserId();
      await seed(app.db).thread(user);
      statements.length = 0;
      await idsOf(user, {});
      expect(statements.filter((statement) => statement.includes('threads.countThreadsByOwner'))).toEqual([]);
      expect(statements.filter((statement) => statement.includes('threads.listThreadsByOwner'))).toHaveLength(1);
      expectData(await app.gql(user, COUNT, { first: 1 }));
      expect(statements.filter((statement) => statement.includes('threads.countThreadsByOwner'))).toHaveLength(1);
    });
  });

  it("never lists or counts another user's threads, whatever the filters and order", async () => {
    const alice = newUserId('alice');
    const bob = newUserId('bob');
    const rows = [1, 2, 3].map((i) => ({ title: `shared title ${i}`, created: `2030-01-01T00:00:0${i}Z`, updated: `2030-01-01T00:00:0${i}Z` }));
    const mine = await threadsAt(alice, rows);
    await threadsAt(bob, rows);
    const aliceIds = new Set<string>(mine.map((thread) => thread.id));
    for (const order of ['UPDATED_AT_DESC', 'CREATED_AT_DESC', 'CREATED_AT_ASC']) {
      const { forwards, backwards } = await walk(alice, { order, title: 'shared', since: '2029-01-01T00:00:00Z' });
      expect(new Set(forwards)).toEqual(aliceIds);
      expect(new Set(backwards)).toEqual(aliceIds);
    }
    expect(expectData(await app.gql(alice, COUNT, { first: 100, title: 'shared' })).threads.totalCount).toBe(3);
    // Bob's cursor names a position, not a thread of his: with Alice it pages Alice's threads only.
    const bobsCursor = (await list(bob, { first: 1, order: 'CREATED_AT_ASC' })).pageInfo.endCursor;
    expect((await idsOf(alice, { order: 'CREATED_AT_ASC', after: bobsCursor })).every((id) => aliceIds.has(id))).toBe(true);
  });

  it('the creation orders are served by an index on (owner_id, created_at, id)', async () => {
    const { rows } = await sql<{ indexdef: string }>`select indexdef from pg_indexes where tablename = 'threads' and indexname = 'threads_owner_created_idx'`.execute(app.db);
    expect(rows.map((row) => row.indexdef)).toEqual([expect.stringMatching(/\(owner_id, created_at DESC, id DESC\)/)]);
  });
});
