import { execute, parse } from 'graphql';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecutionContext } from '../../src/context/execution-context.js';
import { schema } from '../../src/schema/index.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { THREAD_PAGE_QUERY, THREADS_PAGE_QUERY } from '../../bench/read-path/requests.js';
import { expectData } from '../support/expect-graphql.js';
import { waitForStoredCount } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

// Queries are executed by graphql-jit over HTTP (server/compiled-queries.ts). Its answers must be
// those of graphql-js's own executor, byte for byte, errors included; and a page must read the
// same from the Redis window as from Postgres.
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

  /** The same document through graphql-js's executor, with a context made as the server makes it. */
  async function interpreted(query: string, variables: Record<string, unknown> = {}) {
    const ctx = createExecutionContext({
      db: app.db, log: pino({ level: 'silent' }), limits: { maxMessageBytes: 65_536 }, messageStore: app.messageStore,
      archive: app.tiers.archive.queries, auth: { userId: owner },
    });
    const result = await execute({ schema, document: parse(query), contextValue: ctx, variableValues: variables });
    await ctx.uow.commit();
    return JSON.parse(JSON.stringify(result));
  }
  const overHttp = async (query: string, variables: Record<string, unknown> = {}) => {
    const { status: _status, ...body } = await app.gql(owner, query, variables);
    return body;
  };

  it('the threads page and a thread page, every field of issue 9\'s bench', async () => {
    const threads = await overHttp(THREADS_PAGE_QUERY);
    expect(threads.data.threads.edges).toHaveLength(3);
    expect(threads.data.threads.edges[0].node.messages.edges).toHaveLength(10);
    expect(threads).toEqual(await interpreted(THREADS_PAGE_QUERY));
    for (const id of threadIds) expect(await overHttp(THREAD_PAGE_QUERY, { id })).toEqual(await interpreted(THREAD_PAGE_QUERY, { id }));
  });

  it('nested connections, node(), aliases, fragments, variables and a null with an error beside data', async () => {
    const query = `query($id: ID!, $n: Int) {
      node(id: $id) { __typename id ... on Thread { title runs(first: $n) { edges { node { id status messages(first: 2) { edges { cursor node { seq run { id } thread { id } } } } } } } } }
      bad: message(id: "not-an-id") { id }
    }`;
    const answer = await overHttp(query, { id: threadIds[0], n: 2 });
    expect(answer.errors?.map((error) => error.extensions?.code)).toEqual(['INVALID_ID']);
    expect(answer.data.node.runs.edges).toHaveLength(2);
    expect(answer).toMatchObject({ data: { bad: null } });
    const reference = await interpreted(query, { id: threadIds[0], n: 2 });
    expect(answer.data).toEqual(reference.data);
    const messageAndPath = ({ message, path }: { message: string; path?: unknown }) => ({ message, path });
    expect(answer.errors?.map(messageAndPath)).toEqual(reference.errors.map(messageAndPath));
  });

  it('a page reads the same from the Redis window as from Postgres (durability aside, which says where it was read)', async () => {
    const query = THREADS_PAGE_QUERY.replace(' durability', '');
    const hot = await overHttp(query);
    for (const id of threadIds) await app.tiers.redis!.del(...Object.values(threadKeys(id as ThreadId)));
    const cold = await overHttp(query);
    expect(cold).toEqual(hot);
    expect(hot.data.threads.edges.flatMap((edge: { node: { messages: { edges: unknown[] } } }) => edge.node.messages.edges)).toHaveLength(30);
  });
});
