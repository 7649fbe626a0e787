import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, subscriptionsHeld } from '../support/ws-client.js';

const THREAD_EVENTS = `subscription($threadId: ID!, $afterSeq: Int) { threadEvents(threadId: $threadId, afterSeq: $afterSeq) {
  __typename
  ... on MessageAdded { seq message { id status content } }
  ... on MessageDelta { seq messageId index delta }
  ... on MessageCompleted { seq message { id status content } }
} }`;
const START = 'mutation($input: StartMessageInput!) { startMessage(input: $input) { id seq status } }';
const APPEND = 'mutation($input: AppendMessageDeltaInput!) { appendMessageDelta(input: $input) { id } }';
const COMPLETE = 'mutation($id: ID!) { completeMessage(id: $id) { content status } }';
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq } }';

// Thirty chunks, some of them multi-byte, as a model streams tokens. How fast a delta is relayed is
// measured by bench/streaming-deltas; this file checks what is delivered.
const CHUNKS = Array.from({ length: 30 }, (_, i) => ['Hel', 'lo, ', 'wör', 'ld ', '👋', '!'][i % 6]! + (i % 6 === 5 ? ` ${i} ` : ''));

describe('streaming messages over threadEvents', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('delivers MessageAdded, every MessageDelta once and in order, then MessageCompleted; the deltas assemble the stored content', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const { client } = await connectAs(app.url, { userId: owner });
    const before = app.realtime.subscriptions;
    const sub = collect(client, THREAD_EVENTS, { threadId: thread.id, afterSeq: 0 });
    // Deltas are not replayed: nothing is sent before the server holds the subscription.
    await subscriptionsHeld(app, before + 1);

    const started = expectData(await app.gql(owner, START, { input: { threadId: thread.id } })).startMessage;
    for (const delta of CHUNKS) expectData(await app.gql(owner, APPEND, { input: { id: started.id, delta } }));
    const completed = expectData(await app.gql(owner, COMPLETE, { id: started.id })).completeMessage;
    expect(completed).toEqual({ content: CHUNKS.join(''), status: 'COMPLETED' });
    // A message sent after the stream ended: the event after MessageCompleted must be its MessageAdded,
    // so a delta or completion delivered twice would show up before it.
    const after = expectData(await app.gql(owner, SEND, { input: { threadId: thread.id, content: 'after the stream' } })).sendMessage;

    const events = (await sub.received(CHUNKS.length + 3)).map((e) => e.threadEvents);
    expect(events[0]).toEqual({ __typename: 'MessageAdded', seq: started.seq, message: { id: started.id, status: 'IN_PROGRESS', content: '' } });
    const deltas = events.slice(1, CHUNKS.length + 1);
    expect(deltas.map((d) => [d.__typename, d.seq, d.messageId, d.index, d.delta])).toEqual(CHUNKS.map((delta, i) => ['MessageDelta', started.seq, started.id, i, delta]));
    expect(events[CHUNKS.length + 1]).toEqual({ __typename: 'MessageCompleted', seq: started.seq, message: { id: started.id, status: 'COMPLETED', content: completed.content } });
    expect(events[CHUNKS.length + 2]).toEqual({ __typename: 'MessageAdded', seq: after.seq, message: { id: after.id, status: 'COMPLETED', content: 'after the stream' } });
    expect(sub.events).toHaveLength(CHUNKS.length + 3);
    expect(sub.errors).toEqual([]);

    // What reaches Postgres (through the persister, a moment after the ack) is what the deltas spelled.
    const row = () => app.db.selectFrom('messages').select(['content', 'status']).where('id', '=', started.id).executeTakeFirst();
    await vi.waitFor(async () => expect(await row()).toEqual({ content: completed.content, status: 'COMPLETED' }), { timeout: 10_000, interval: 25 });
    sub.stop();
    await client.dispose();
  });
});
