import { execute, parse, type GraphQLError } from 'graphql';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutionContext } from '../../src/context/execution-context.js';
import { schema } from '../../src/schema/index.js';
import { createErrorMasker } from '../../src/server/error-masking.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { THREAD_PAGE_QUERY, THREADS_PAGE_QUERY } from '../../bench/read-path/requests.js';
import { expectData } from '../support/expect-graphql.js';
import { waitForStoredCount } from '../support/stored-messages.js';
import { newUserId, startTestApp, tokenFor, type TestApp } from '../support/test-app.js';

// Queries are executed by graphql-jit over HTTP (server/compiled-queries.ts). Its answers must be
// those of graphql-js's own executor, byte for byte (key order too: JSON text is compared, not
// parsed objects), errors included; and a page must read the same from the Redis window as from Postgres.
describe('compiled queries answer exactly as graphql-js does', () => {
  let app: TestApp;
  const owner = newUserId();
  const threadIds: string[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    const gql = async (query: string, variables: Record<string, unknown>) => expectData(await app.gql(owner, query, variables));
    for (let t = 0; t < 3; t++) {
      const { createThread } = await gql('mutation($title: String) { createThread(input: { title: $title, metadata: { n: 1 } }) { id } }', { title: `t${t}` });
      threadIds.push(createThread.id);
      const runs = [];
      for (let r = 0; r < 2; r++) runs.push((await gql('mutation($t: ID!) { startRun(input: { threadId: $t }) { id } }', { t: createThread.id })).startRun.id);
      for (let m = 0; m < 12; m++) {
        await gql('mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', {
          input: { threadId: createThread.id, content: `message ${m} of ${t}`, runId: m % 3 ? runs[m % 2] : null, metadata: { m } },
        });
      }
    }
    await waitForStoredCount(app.db, threadIds, 36);
  });
  afterAll(() => app?.stop());

  /** The same document through graphql-js's executor and the server's error masking, as JSON text. */
  async function interpreted(query: string, variables: Record<string, unknown> = {}, operationName?: string) {
    const log = pino({ level: 'silent' });
    const ctx = createExecutionContext({
      db: app.db, log, limits: { maxMessageBytes: 65_536, maxMessageParts: 100, fileUriSchemes: ['https'] }, messageStore: app.messageStore,
      archive: app.tiers.archive.queries, eraser: app.tiers.eraser, auth: { userId: owner, actor: null },
    });
    const result = await execute({ schema, document: parse(query), contextValue: ctx, variableValues: variables, operationName });
    await ctx.uow.commit();
    const mask = createErrorMasker(log);
    return JSON.stringify(result.errors ? { ...result, errors: result.errors.map((error) => mask(error) as GraphQLError) } : result);
  }
  /** The answer over HTTP as the client receives it: JSON text. */
  const overHttp = async (query: string, variables: Record<string, unknown> = {}, operationName?: string) => {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(owner)}` };
    const response = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables, operationName }) });
    return response.text();
  };

  it('the threads page and a thread page, every field of issue 9\'s bench', async () => {
    const threads = await overHttp(THREADS_PAGE_QUERY);
    expect(JSON.parse(threads).data.threads.edges).toHaveLength(3);
    expect(JSON.parse(threads).data.threads.edges[0].node.messages.edges).toHaveLength(10);
    expect(threads).toBe(await interpreted(THREADS_PAGE_QUERY));
    for (const id of threadIds) expect(await overHttp(THREAD_PAGE_QUERY, { id })).toBe(await interpreted(THREAD_PAGE_QUERY, { id }));
  });

  it('nested connections, node(), aliases, fragments, variables and a null with an error beside data, locations included', async () => {
    const query = `query($id: ID!, $n: Int) {
      node(id: $id) { __typename id ... on Thread { title runs(first: $n) { edges { node { id status messages(first: 2) { edges { cursor node { seq run { id } thread { id } } } } } } } } }
      bad: message(id: "not-an-id") { id }
    }`;
    const answer = await overHttp(query, { id: threadIds[0], n: 2 });
    expect(JSON.parse(answer).errors).toMatchObject([{ extensions: { code: 'INVALID_ID' }, locations: [{ line: 3, column: 7 }], path: ['bad'] }]);
    expect(JSON.parse(answer).data.node.runs.edges).toHaveLength(2);
    expect(answer).toBe(await interpreted(query, { id: threadIds[0], n: 2 }));
  });

  it('fragments anywhere in a selection answer in document order (graphql-jit would put a fragment\'s fields after its siblings)', async () => {
    const queries = [
      'query($id: ID!) { thread(id: $id) { ...Head messageCount } } fragment Head on Thread { title id }',
      'query($id: ID!) { thread(id: $id) { ...A ...B } } fragment A on Thread { title } fragment B on Thread { id messageCount }',
      'query($id: ID!) { thread(id: $id) { ... on Thread { title } id ... on Thread { messageCount } } }',
      'query($id: ID!) { thread(id: $id) { messages(first: 2) { edges { node { ...M seq } } } } } fragment M on Message { content id }',
      'query($id: ID!) { thread(id: $id) { id ...Tail } } fragment Tail on Thread { title messages(first: 1) { edges { node { seq } } } }',
    ];
    for (const query of queries) expect(await overHttp(query, { id: threadIds[1] }), query).toBe(await interpreted(query, { id: threadIds[1] }));
    const reordered = JSON.parse(await overHttp(queries[0]!, { id: threadIds[1] }));
    expect(Object.keys(reordered.data.thread)).toEqual(['title', 'id', 'messageCount']);
  });

  it('a JSON literal with a variable inside filters by the variable (graphql-jit would read it as {} and match every thread)', async () => {
    const nested = 'query($v: Int) { threads(metadata: { n: $v }) { edges { node { id } } } }';
    const count = async (query: string, variables: Record<string, unknown>) => JSON.parse(await overHttp(query, variables)).data.threads.edges.length;
    expect(await count(nested, { v: 1 })).toBe(3);
    expect(await count(nested, { v: 2 })).toBe(0);
    expect(await count('{ threads(metadata: { n: 2 }) { edges { node { id } } } }', {})).toBe(0);
    expect(await count('query($m: JSON) { threads(metadata: $m) { edges { node { id } } } }', { m: { n: 2 } })).toBe(0);
    expect(await overHttp(nested, { v: 2 })).toBe(await interpreted(nested, { v: 2 }));
  });

  it('a document with several operations runs the one operationName names, each time, with its own cost and variables checked', async () => {
    const document = `
      query Cheap { viewer { id } }
      query Named($id: ID!) { thread(id: $id) { title } }
      query Costly { threads(first: 100) { edges { node { messages(last: 100) { edges { node { runs: thread { runs(first: 100) { edges { node { id } } } } } } } } } } }`;
    for (let round = 0; round < 2; round++) {
      expect(JSON.parse(await overHttp(document, {}, 'Cheap'))).toEqual({ data: { viewer: { id: owner } } });
      expect(JSON.parse(await overHttp(document, { id: threadIds[0] }, 'Named'))).toEqual({ data: { thread: { title: 't0' } } });
      expect(JSON.parse(await overHttp(document, {}, 'Costly')).errors).toMatchObject([{ extensions: { code: 'QUERY_TOO_COMPLEX' } }]);
      const missingVariable = JSON.parse(await overHttp(document, {}, 'Named'));
      expect(missingVariable.errors).toMatchObject([{ message: expect.stringContaining('$id'), extensions: { code: 'BAD_USER_INPUT' } }]);
    }
  });

  it('a page reads the same from the Redis window as from Postgres (durability aside, which says where it was read)', async () => {
    const query = THREADS_PAGE_QUERY.replace(' durability', '');
    const hot = await overHttp(query);
    for (const id of threadIds) await app.tiers.redis!.del(...Object.values(threadKeys(id as ThreadId)));
    const cold = await overHttp(query);
    expect(cold).toBe(hot);
    expect(JSON.parse(hot).data.threads.edges.flatMap((edge: { node: { messages: { edges: unknown[] } } }) => edge.node.messages.edges)).toHaveLength(30);
  });
});
