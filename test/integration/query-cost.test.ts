import { readFile } from 'node:fs/promises';
import { Kind, parse, print, type FragmentDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { QUERY_LIMITS } from '../../src/server/query-limits.js';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type GraphqlResponse, type TestApp } from '../support/test-app.js';
import { collect, connectAs, type SocketClient } from '../support/ws-client.js';

const LIMIT = QUERY_LIMITS.maxCost;

/** An operation of examples/operations with the fragments it spreads. */
async function exampleOperation(name: string): Promise<string> {
  const read = (file: string) => readFile(new URL(`../../examples/operations/${file}.graphql`, import.meta.url), 'utf8');
  const operation = await read(name);
  const fragments = parse(await read('fragments')).definitions.filter(
    (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION && operation.includes(`...${definition.name.value}`),
  );
  return [operation, ...fragments.map((fragment) => print(fragment))].join('\n');
}

/** The refusal: no data, one QUERY_TOO_COMPLEX error naming the limit and the cost found, which is over it. */
function expectTooCostly(response: Pick<GraphqlResponse, 'data' | 'errors'>): number {
  expect(response.data ?? null).toBeNull();
  expect(response.errors, JSON.stringify(response)).toHaveLength(1);
  const [error] = response.errors!;
  expect(error!.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  const found = new RegExp(`^Query cost limit of ${LIMIT} exceeded, found (\\d+)`).exec(error!.message);
  expect(found, error!.message).not.toBeNull();
  const cost = Number(found![1]);
  expect(cost).toBeGreaterThan(LIMIT);
  return cost;
}

/** threads × messages, each message with `fields`; page sizes from variables $threads and $messages. */
const THREADS_WITH_MESSAGES = `query($threads: Int, $messages: Int) {
  threads(first: $threads) { edges { node { id messages(first: $messages) { edges { node { id content } } } } } }
}`;
/** Three levels of pages: threads, their messages, each message's run's messages. */
const NESTED = `query($a: Int, $b: Int, $c: Int) {
  threads(first: $a) { edges { node { messages(first: $b) { edges { node { run { messages(first: $c) { edges { node { id } } } } } } } } } }
}`;

describe('the query cost reads page sizes from literals, variables and variable defaults (src/server/query-cost.ts)', () => {
  let app: TestApp;
  let user: string;
  let thread: Thread;
  const clients: SocketClient[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    user = newUserId();
    thread = await seed(app.db).thread(user, { title: 'costs' });
    await seed(app.db).messages(thread.id, ['one', 'two']);
    await seed(app.db).run(thread.id);
  });
  afterAll(async () => {
    await Promise.all(clients.map(({ client }) => client.dispose()));
    await app.stop();
  });

  it('the client pages of examples/operations pass at the sizes a list view asks for', async () => {
    const page = await exampleOperation('threads-page');
    const byId = await exampleOperation('thread-by-id');
    // 20 threads × (20 messages + 10 runs), every fragment field selected.
    const listed = expectData(await app.gql(user, page, { first: 20, lastMessages: 20, firstRuns: 10 }));
    expect(listed.threads.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual([thread.id]);
    // The largest page of one thread's history.
    const history = expectData(await app.gql(user, byId, { id: thread.id, lastMessages: 100 }));
    expect(history.thread.messages.edges).toHaveLength(2);
  });

  it('with variables: 20 threads × 100 messages pass; 100 × 100 and 100 × 100 × 100 are refused', async () => {
    expectData(await app.gql(user, THREADS_WITH_MESSAGES, { threads: 20, messages: 100 }));
    // 1 + 100 × (edges 1 + node 1 + id 1 + messages (1 + 100 × (edges 1 + node 1 + id 1 + content 1))).
    expect(expectTooCostly(await app.gql(user, THREADS_WITH_MESSAGES, { threads: 100, messages: 100 }))).toBe(1 + 100 * (3 + 1 + 100 * 4));
    expectTooCostly(await app.gql(user, NESTED, { a: 100, b: 100, c: 100 }));
  });

  it('with variable defaults, overridden or not', async () => {
    const defaulted = NESTED.replace('$a: Int, $b: Int, $c: Int', '$a: Int = 100, $b: Int = 100, $c: Int = 100');
    expectTooCostly(await app.gql(user, defaulted));
    expectTooCostly(await app.gql(user, defaulted, { a: 100 }));
    expectData(await app.gql(user, defaulted, { a: 5, b: 5, c: 5 }));
  });

  it('one document counted again for each value its cost depends on: sizes, given or defaulted or null, @include, list lengths; not input objects', async () => {
    // Costs are remembered per document and values (query-cost.ts): each answer must still be its own.
    const defaulted = THREADS_WITH_MESSAGES.replace('$threads: Int, $messages: Int', '$threads: Int = 100, $messages: Int = 100');
    expectTooCostly(await app.gql(user, defaulted));
    // null is not "left out": the page size is then the default of the field, 20.
    expectData(await app.gql(user, defaulted, { threads: null, messages: null }));
    expectTooCostly(await app.gql(user, defaulted, {}));
    expectData(await app.gql(user, defaulted, { threads: 20, messages: 100 }));
    expectTooCostly(await app.gql(user, defaulted, { threads: 100, messages: 100 }));

    const included = `query($deep: Boolean!) {
      threads(first: 100) { edges { node { id messages(first: 100) @include(if: $deep) { edges { node { id content } } } } } }
    }`;
    expectTooCostly(await app.gql(user, included, { deep: true }));
    expect(expectData(await app.gql(user, included, { deep: false })).threads.edges).toHaveLength(1);
    expectTooCostly(await app.gql(user, included, { deep: true }));

    // An input object's content never changes the cost: every send of the same document passes.
    const sender = newUserId();
    const sendTo = await seed(app.db).thread(sender, { title: 'sends' });
    const send = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { seq } }';
    const seqs = [];
    for (const content of ['short', 'x'.repeat(5_000)]) {
      seqs.push(expectData(await app.gql(sender, send, { input: { threadId: sendTo.id, content } })).sendMessage.seq);
    }
    expect(seqs).toEqual([1, 2]);

    // A list's length is a cost: the same document with 100 IDs is refused, with one it runs.
    const archive = 'mutation($ids: [ID!]!) { archiveThreads(ids: $ids) { id messages(first: 100) { edges { node { id content } } } } }';
    expectTooCostly(await app.gql(sender, archive, { ids: Array.from({ length: 100 }, () => sendTo.id) }));
    expect(expectData(await app.gql(sender, archive, { ids: [sendTo.id] })).archiveThreads).toHaveLength(1);
    expectTooCostly(await app.gql(sender, archive, { ids: Array.from({ length: 100 }, () => sendTo.id) }));
  });

  it("a mutation whose variables do not coerce is BAD_USER_INPUT, and counts for nothing: the next of the same shape is still counted", async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    // 100 IDs at 100 messages each: far over the limit. The first request's IDs are no list of IDs at all.
    const archive = 'mutation($ids: [ID!]!, $n: Int!) { archiveThreads(ids: $ids) { id messages(first: $n) { edges { node { id content } } } } }';
    const ids = Array.from({ length: 100 }, () => thread.id);
    const refused = await app.gql(user, archive, { ids: [...ids.slice(1), { not: 'an id' }], n: 100 });
    expect(refused.errors?.map((error) => error.extensions?.code), JSON.stringify(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors?.[0]?.message).toMatch(/^Variable "\$ids" got invalid value/);
    expectTooCostly(await app.gql(user, archive, { ids, n: 100 }));
    const [row] = await app.db.selectFrom('threads').select('status').where('id', '=', thread.id).execute();
    expect(row?.status).toBe('ACTIVE');
  });

  it('with literals, and with a page size left out (counted as the default, 20)', async () => {
    const literal = NESTED.replace(/^query\([^)]*\)/, 'query').replace('first: $a', 'first: 100').replace('first: $b', 'first: 100').replace('first: $c', 'first: 100');
    expect(literal).not.toContain('$');
    expectTooCostly(await app.gql(user, literal));
    // Omitted sizes are 20: 20 × 20 × 20 messages (~ 8,000 × 3 fields) is over the limit too.
    expectTooCostly(await app.gql(user, '{ threads { edges { node { messages { edges { node { run { messages { edges { node { id } } } } } } } } } } }'));
  });

  it('aliases multiply the cost: one page passes, three of it are refused', async () => {
    const one = 'a: threads(first: $threads) { edges { node { messages(first: $messages) { edges { node { id content } } } } } }';
    const aliased = (count: number) => `query($threads: Int, $messages: Int) { ${Array.from({ length: count }, (_, i) => one.replace('a:', `a${i}:`)).join(' ')} }`;
    const variables = { threads: 20, messages: 100 };
    expect(Object.keys(expectData(await app.gql(user, aliased(1), variables)))).toEqual(['a0']);
    const tripled = expectTooCostly(await app.gql(user, aliased(3), variables));
    // Per alias: 1 + 20 × (edges 1 + node 1 + messages (1 + 100 × (edges 1 + node 1 + id 1 + content 1))).
    expect(tripled).toBe(3 * (1 + 20 * (2 + 1 + 100 * 4)));
  });

  it('over graphql-ws: a subscription over the limit fails alone, with variables; the socket and its other subscriptions carry on', async () => {
    const connected = await connectAs(app.url, { userId: user });
    clients.push(connected);
    const document = `subscription($t: ID!, $n: Int) {
      messageAdded(threadId: $t) { thread { messages(first: $n) { edges { node { run { messages(first: $n) { edges { node { id } } } } } } } } }
    }`;
    const before = app.realtime.subscriptions;
    const live = collect(connected.client, 'subscription($t: ID!) { messageAdded(threadId: $t) { seq } }', { t: thread.id });
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(before + 1));

    const costly = collect(connected.client, document, { t: thread.id, n: 100 });
    await costly.done;
    expectTooCostly({ data: null, errors: costly.errors });
    const defaulted = collect(connected.client, document.replace('$n: Int', '$n: Int = 100'), { t: thread.id });
    await defaulted.done;
    expectTooCostly({ data: null, errors: defaulted.errors });
    expect(app.realtime.subscriptions).toBe(before + 1);

    const cheap = collect(connected.client, document, { t: thread.id, n: 2 });
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(before + 2));
    expectData(await app.gql(user, 'mutation($t: ID!) { sendMessage(input: { threadId: $t, content: "three" }) { seq } }', { t: thread.id }));
    expect(await live.received(1)).toEqual([{ messageAdded: { seq: 3 } }]);
    expect((await cheap.received(1))[0].messageAdded.thread.messages.edges).toHaveLength(2);
    live.stop();
    cheap.stop();
  });
});
