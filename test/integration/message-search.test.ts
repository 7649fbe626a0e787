import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const SEARCH = `query($q: String!, $first: Int, $after: String) {
  searchMessages(query: $q, first: $first, after: $after) {
    edges { cursor snippet node { id content threadId } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id durability } }';

describe.each([
  ['the fast path (Redis)', {}],
  ['the Postgres path (no Redis)', { DISABLE_REDIS: 'true' }],
])('searchMessages on %s', (_path, env) => {
  let app: TestApp;
  beforeAll(async () => void (app = await startTestApp({ env })));
  afterAll(() => app?.stop());

  const search = (user: string, q: string, page: { first?: number; after?: string } = {}) => app.gql(user, SEARCH, { q, ...page });

  it('finds a message acked a moment ago, with a snippet, and only the viewer\'s', async () => {
    const [user, other] = [newUserId(), newUserId()];
    const [mine, theirs] = [await seed(app.db).thread(user), await seed(app.db).thread(other)];
    const word = `zebra${Date.now()}`;
    const sent = expectData(await app.gql(user, SEND, { input: { threadId: mine.id, content: `Book the ${word} safari for <b>Tuesday</b> please` } })).sendMessage;
    expectData(await app.gql(other, SEND, { input: { threadId: theirs.id, content: `my own ${word} notes` } }));

    const hits = expectData(await search(user, word)).searchMessages.edges;
    expect(hits.map((edge: any) => edge.node.id)).toEqual([sent.id]);
    // The match between « »; tags in the text are dropped from the snippet (Postgres's parser reads them as markup), none added.
    expect(hits[0].snippet).toBe(`Book the «${word}» safari for  Tuesday  please`);
    expect(hits[0].node.content).toBe(`Book the ${word} safari for <b>Tuesday</b> please`);
    expect(expectData(await search(other, word)).searchMessages.edges.map((edge: any) => edge.node.threadId)).toEqual([theirs.id]);
  });

  it('a burst of sends, searched the moment the last is acked, is found whole', async () => {
    const user = newUserId();
    const threads = await Promise.all(Array.from({ length: 10 }, () => seed(app.db).thread(user)));
    const tag = `burst${Date.now()}`;
    const acked = await Promise.all(Array.from({ length: 80 }, (_, n) =>
      app.gql(user, SEND, { input: { threadId: threads[n % threads.length]!.id, content: `${tag} number ${n}` } })));
    expect(acked.every((response) => !response.errors)).toBe(true);
    const found = expectData(await search(user, tag, { first: 100 })).searchMessages.edges;
    expect(found).toHaveLength(80);
  });

  it('pages newest first with cursors, and understands phrases and exclusions', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const tag = `kiwi${Date.now()}`;
    for (const text of [`${tag} one apple`, `${tag} two apple pie`, `${tag} three pie`, `${tag} four apple`]) {
      expectData(await app.gql(user, SEND, { input: { threadId: thread.id, content: text } }));
    }
    const first = expectData(await search(user, tag, { first: 3 })).searchMessages;
    expect(first.edges.map((edge: any) => edge.node.content.split(' ')[1])).toEqual(['four', 'three', 'two']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = expectData(await search(user, tag, { first: 3, after: first.pageInfo.endCursor })).searchMessages;
    expect(rest.edges.map((edge: any) => edge.node.content.split(' ')[1])).toEqual(['one']);
    expect(rest.pageInfo.hasNextPage).toBe(false);

    const contents = async (q: string) => expectData(await search(user, q)).searchMessages.edges.map((edge: any) => edge.node.content.split(' ')[1]);
    expect(await contents(`${tag} "apple pie"`)).toEqual(['two']);
    expect(await contents(`${tag} apple -pie`)).toEqual(['four', 'one']);
    expect(await contents(`${tag.toUpperCase()} PIE`)).toEqual(['three', 'two']);
  });

  it.each([
    ['an empty query', '   ', /query must not be empty/],
    ['punctuation only', '!!! ---', /query must contain a word/],
    ['a query over 200 characters', 'x'.repeat(201), /at most 200 characters/],
  ])('refuses %s with BAD_USER_INPUT', async (_what, q, message) => {
    expect(expectError(await search(newUserId(), q), 'BAD_USER_INPUT').message).toMatch(message);
  });

  it('refuses a cursor of another list', async () => {
    const thread = await seed(app.db).thread(newUserId());
    const threadCursor = Buffer.from(`t:${Date.now()}:${thread.id}`).toString('base64url');
    expectError(await search(newUserId(), 'anything', { after: threadCursor }), 'BAD_USER_INPUT');
  });

  it('requires authentication', async () => {
    expectError(await app.gql(null, SEARCH, { q: 'x' }), 'UNAUTHENTICATED');
  });
});

describe('searchMessages uses its index', () => {
  let app: TestApp;
  beforeAll(async () => void (app = await startTestApp()));
  afterAll(() => app?.stop());

  it('plans a bitmap scan of messages_content_search_idx, not a scan of messages', async () => {
    await sql`set enable_seqscan = off`.execute(app.db);
    try {
      const { rows } = await sql<{ 'QUERY PLAN': string }>`explain select id from messages where to_tsvector('simple', content) @@ websearch_to_tsquery('simple', 'zebra')`.execute(app.db);
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).toContain('messages_content_search_idx');
    } finally {
      await sql`reset enable_seqscan`.execute(app.db);
    }
  });
});
