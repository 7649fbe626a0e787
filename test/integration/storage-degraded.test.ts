import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { expectExactlyStored, SEND_MESSAGE, sendAll, storedMessages, type AckedMessage } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

// DISABLE_REDIS=true: no hot tier at all. Every write takes the synchronous Postgres path.
describe('storage: degraded mode without Redis', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { DISABLE_REDIS: 'true' } });
  });
  afterAll(() => app.stop());

  const send = async (user: string, input: Record<string, unknown>): Promise<AckedMessage> =>
    expectData(await app.gql(user, SEND_MESSAGE, { input })).sendMessage;

  it('/ready answers 200 "degraded" with the Postgres write path', async () => {
    const response = await fetch(new URL('/ready', app.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'degraded', postgres: 'up', redis: 'not configured', writePath: 'postgres', deadLetters: null, warnings: [] });
  });

  it('a FAST send is committed in Postgres before the ack, reads as DURABLE, and counts', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const first = await send(user, { threadId: thread.id, content: 'no redis here' });
    expect(first).toMatchObject({ seq: 1, durability: 'DURABLE' });
    expect((await storedMessages(app.db, [thread.id])).map((row) => [row.id, row.seq])).toEqual([[first.id, 1]]);
    const second = await send(user, { threadId: thread.id, content: 'durable anyway', durability: 'DURABLE' });
    expect(second).toMatchObject({ seq: 2, durability: 'DURABLE' });

    const read = expectData(
      await app.gql(user, 'query($id: ID!) { thread(id: $id) { messageCount messages(last: 5) { edges { node { id seq durability } } } } }', { id: thread.id }),
    ).thread;
    expect(read).toEqual({
      messageCount: 2,
      messages: { edges: [first, second].map(({ id, seq }) => ({ node: { id, seq, durability: 'DURABLE' } })) },
    });
    const byId = expectData(await app.gql(user, 'query($id: ID!) { message(id: $id) { id durability } }', { id: first.id })).message;
    expect(byId).toEqual({ id: first.id, durability: 'DURABLE' });
  });

  it('the same invariants hold: clientMessageId, archived threads, other users’ threads', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const once = await send(user, { threadId: thread.id, content: 'once', clientMessageId: 'k' });
    expect(await send(user, { threadId: thread.id, content: 'again', clientMessageId: 'k' })).toEqual(once);
    expectError(await app.gql(newUserId('intruder'), SEND_MESSAGE, { input: { threadId: thread.id, content: 'x' } }), 'NOT_FOUND');
    expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { status } }', { id: thread.id }));
    expectError(await app.gql(user, SEND_MESSAGE, { input: { threadId: thread.id, content: 'late' } }), 'BAD_USER_INPUT');
    expect(await storedMessages(app.db, [thread.id])).toHaveLength(1);
  });

  it('concurrent senders on the Postgres path get gap-free seqs', async () => {
    const user = newUserId();
    const threads = [await seed(app.db).thread(user), await seed(app.db).thread(user)];
    const inputs = Array.from({ length: 60 }, (_, i) => ({ threadId: threads[i % 2]!.id, content: `m${i}` }));
    const { acked, refused } = await sendAll(app.gql, user, inputs, 20);
    expect(refused).toEqual([]);
    expect(acked.every((message) => message.durability === 'DURABLE')).toBe(true);
    await expectExactlyStored(app.db, acked);
  });
});
