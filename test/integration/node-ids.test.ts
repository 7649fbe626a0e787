import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Message } from '../../src/domain/message.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const NODE_QUERY = `query($id: ID!) { node(id: $id) {
  __typename id
  ... on Thread { title messageCount }
  ... on Run { threadId status }
  ... on Message { threadId content seq }
} }`;

describe('node(id:) and canonical IDs', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  async function ownedGraph() {
    const user = newUserId();
    const thread = await seed(app.db).thread(user, { title: 'graph' });
    const [message] = (await seed(app.db).messages(thread.id, ['node me'])) as [Message];
    const run = await seed(app.db).run(thread.id);
    return { user, thread, message, run };
  }

  it('resolves a thread, a run and a message by their IDs, each as its own type', async () => {
    const { user, thread, message, run } = await ownedGraph();
    const node = async (id: string) => expectData(await app.gql(user, NODE_QUERY, { id })).node;
    expect(await node(thread.id)).toEqual({ __typename: 'Thread', id: thread.id, title: 'graph', messageCount: 1 });
    expect(await node(run.id)).toEqual({ __typename: 'Run', id: run.id, threadId: thread.id, status: 'QUEUED' });
    expect(await node(message.id)).toEqual({ __typename: 'Message', id: message.id, threadId: thread.id, content: 'node me', seq: 1 });
  });

  it('answers null for well-formed IDs of nothing, and INVALID_ID for anything else', async () => {
    const user = newUserId();
    for (const id of ['thread_api_1757372478799_9_0badf00d', 'thread_api_1757372478799_9_0badf00d_run_1757372479002_0badf00d', 'msg_1757372479002_9_0badf00d']) {
      const response = await app.gql(user, NODE_QUERY, { id });
      expect(response.errors, id).toBeUndefined();
      expect(response.data).toEqual({ node: null });
    }
    const error = expectError(await app.gql(user, NODE_QUERY, { id: 'VGhyZWFkOjE=' }), 'INVALID_ID');
    expect(error.message).toBe('Invalid node ID "VGhyZWFkOjE=": expected a thread, run or message ID');
  });

  it('every ID the API returns is the canonical ID string, usable as-is in node(id:)', async () => {
    const { user, thread } = await ownedGraph();
    const data = expectData(
      await app.gql(user, 'query($id: ID!) { thread(id: $id) { id messages { edges { node { id threadId thread { id } } } } runs { edges { node { id threadId } } } } }', { id: thread.id }),
    );
    const message = data.thread.messages.edges[0].node;
    const run = data.thread.runs.edges[0].node;
    expect([data.thread.id, message.threadId, message.thread.id, run.threadId]).toEqual([thread.id, thread.id, thread.id, thread.id]);
    expect(run.id.startsWith(`${thread.id}_run_`)).toBe(true);
    for (const id of [message.id, run.id]) expect(expectData(await app.gql(user, NODE_QUERY, { id })).node.id).toBe(id);
  });

  describe('legacy double-prefixed thread IDs (thread_thread_…)', () => {
    it('resolve to the canonical thread in thread(id:) and node(id:)', async () => {
      const { user, thread } = await ownedGraph();
      for (const legacy of [`thread_${thread.id}`, `thread_thread_${thread.id}`]) {
        const data = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { id title } node(id: $id) { id __typename } }', { id: legacy }));
        expect(data).toEqual({ thread: { id: thread.id, title: 'graph' }, node: { id: thread.id, __typename: 'Thread' } });
      }
    });

    it('a canonical thread whose origin is "thread" is not mistaken for a double prefix', async () => {
      const user = newUserId();
      const canonical = 'thread_thread_1757372478799_3_abcdef01';
      await app.db.insertInto('threads').values({ id: canonical, owner_id: user, title: 'origin thread', metadata: '{}' }).execute();
      const data = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { id title } }', { id: canonical }));
      expect(data.thread).toEqual({ id: canonical, title: 'origin thread' });
    });

    it('mutations given a legacy ID act on the canonical row', async () => {
      const { user, thread } = await ownedGraph();
      const legacy = `thread_${thread.id}`;
      const sent = expectData(await app.gql(user, 'mutation($id: ID!) { sendMessage(input: { threadId: $id, content: "via legacy" }) { threadId seq } }', { id: legacy }));
      expect(sent.sendMessage).toEqual({ threadId: thread.id, seq: 2 });
      const run = expectData(await app.gql(user, 'mutation($id: ID!) { startRun(input: { threadId: $id }) { id threadId } }', { id: legacy })).startRun;
      expect(run.threadId).toBe(thread.id);
      expect(run.id.startsWith(`${thread.id}_run_`)).toBe(true);
      const renamed = expectData(await app.gql(user, 'mutation($id: ID!) { updateThread(input: { id: $id, title: "renamed" }) { id } }', { id: legacy }));
      expect(renamed.updateThread.id).toBe(thread.id);

      // The message reaches Postgres through the persister, a moment after it is acknowledged.
      await vi.waitFor(
        async () => {
          const stored = await app.db.selectFrom('messages').select(['thread_id', 'seq']).where('content', '=', 'via legacy').where('thread_id', 'like', `%${thread.id}`).execute();
          expect(stored).toEqual([{ thread_id: thread.id, seq: 2 }]);
        },
        { timeout: 10_000, interval: 25 },
      );
      const row = await app.db.selectFrom('threads').selectAll().where('id', '=', thread.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ title: 'renamed', last_seq: 2 });
      expect(await app.db.selectFrom('runs').select('thread_id').where('id', '=', run.id).executeTakeFirstOrThrow()).toEqual({ thread_id: thread.id });
    });
  });
});
