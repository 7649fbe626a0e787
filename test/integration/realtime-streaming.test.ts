import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs } from '../support/ws-client.js';

const THREAD_EVENTS = `subscription($threadId: ID!, $afterSeq: Int) { threadEvents(threadId: $threadId, afterSeq: $afterSeq) {
  __typename
  ... on MessageAdded { seq message { id status content } }
  ... on MessageDelta { seq messageId index delta }
  ... on MessageCompleted { seq message { id status content } }
} }`;

describe('streaming messages over threadEvents', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  it('delivers MessageAdded, every MessageDelta in order, and MessageCompleted; the deltas assemble the stored content', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const { client } = await connectAs(app.url, { userId: owner });
    const sub = collect(client, THREAD_EVENTS, { threadId: thread.id, afterSeq: 0 });

    const started = expectData(
      await app.gql(owner, 'mutation($input: StartMessageInput!) { startMessage(input: $input) { id seq status } }', { input: { threadId: thread.id } }),
    ).startMessage;
    const chunks = ['Hel', 'lo, ', 'wör', 'ld ', '👋', '!'];
    for (const delta of chunks) {
      expectData(await app.gql(owner, 'mutation($input: AppendMessageDeltaInput!) { appendMessageDelta(input: $input) { id } }', { input: { id: started.id, delta } }));
    }
    const completed = expectData(await app.gql(owner, 'mutation($id: ID!) { completeMessage(id: $id) { content status } }', { id: started.id })).completeMessage;
    expect(completed).toEqual({ content: chunks.join(''), status: 'COMPLETED' });

    const events = (await sub.received(chunks.length + 2)).map((e) => e.threadEvents);
    expect(events[0]).toEqual({ __typename: 'MessageAdded', seq: started.seq, message: { id: started.id, status: 'IN_PROGRESS', content: '' } });
    const deltas = events.slice(1, -1);
    expect(deltas.map((d) => [d.__typename, d.seq, d.messageId, d.index])).toEqual(chunks.map((_, i) => ['MessageDelta', started.seq, started.id, i]));
    expect(deltas.map((d) => d.delta).join('')).toBe(completed.content);
    expect(events.at(-1)).toEqual({ __typename: 'MessageCompleted', seq: started.seq, message: { id: started.id, status: 'COMPLETED', content: completed.content } });
    expect(sub.errors).toEqual([]);
    sub.stop();
    await client.dispose();
  });

  it('relays a delta to a subscriber well under 20 ms after appendMessageDelta returns', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const { client } = await connectAs(app.url, { userId: owner });
    const sub = collect(client, THREAD_EVENTS, { threadId: thread.id, afterSeq: 0 });
    const started = expectData(await app.gql(owner, 'mutation($input: StartMessageInput!) { startMessage(input: $input) { id } }', { input: { threadId: thread.id } })).startMessage;
    await sub.received(1);
    const lags: number[] = [];
    for (let i = 0; i < 30; i++) {
      expectData(await app.gql(owner, 'mutation($input: AppendMessageDeltaInput!) { appendMessageDelta(input: $input) { id } }', { input: { id: started.id, delta: `t${i} ` } }));
      const acked = performance.now();
      await sub.received(2 + i);
      lags.push(performance.now() - acked);
    }
    lags.sort((a, b) => a - b);
    // The delta is published inside the append; by the time the HTTP answer is read it is usually already here.
    expect(lags[Math.floor(lags.length / 2)], `lags ms: ${lags.map((l) => l.toFixed(1)).join(' ')}`).toBeLessThan(20);
    sub.stop();
    await client.dispose();
  });
});
