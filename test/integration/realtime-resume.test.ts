import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { realtimeResyncs } from '../../src/observability/metrics.js';
import { expectData } from '../support/expect-graphql.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { seed } from '../support/seed.js';
import { killSubscriberConnections } from '../support/subscriber-connections.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, type SocketClient } from '../support/ws-client.js';

const MESSAGE_ADDED = 'subscription($threadId: ID!, $afterSeq: Int) { messageAdded(threadId: $threadId, afterSeq: $afterSeq) { seq content } }';
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { seq } }';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('resuming with afterSeq', () => {
  let app: TestApp;
  const clients: SocketClient[] = [];
  beforeAll(async () => {
    // A small window, so older messages are replayed from Postgres and newer ones from Redis.
    app = await startTestApp({ env: { HOT_WINDOW_SIZE: '8', SUBSCRIPTION_MAX_REPLAY: '100' } });
  });
  afterAll(async () => {
    await Promise.all(clients.map(({ client }) => client.dispose()));
    await app.stop();
  });

  const connect = async (userId: string) => {
    const connected = await connectAs(app.url, { userId });
    clients.push(connected);
    return connected.client;
  };
  const send = async (user: string, threadId: string, content: string) =>
    expectData(await app.gql(user, SEND, { input: { threadId, content } })).sendMessage.seq as number;

  it('yields exactly the missing messages, in seq order, while sends keep arriving', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    for (const i of range(1, 20)) await send(owner, thread.id, `m${i}`);
    const client = await connect(owner);

    // Four writers send 40 more while subscribers resume from different points, staggered so
    // their replays overlap the sends.
    const writers = range(1, 4).map(async (writer) => {
      for (const i of range(1, 10)) await send(owner, thread.id, `w${writer}-${i}`);
    });
    const subscribers = [];
    for (const afterSeq of [0, 7, 13, 19, 20]) {
      subscribers.push({ afterSeq, sub: collect(client, MESSAGE_ADDED, { threadId: thread.id, afterSeq }) });
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await Promise.all(writers);

    for (const { afterSeq, sub } of subscribers) {
      const events = await sub.received(60 - afterSeq);
      expect(events.map((e) => e.messageAdded.seq), `afterSeq ${afterSeq}`).toEqual(range(afterSeq + 1, 60));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const { sub } of subscribers) {
      expect(sub.events).toHaveLength(60 - (sub.events[0]?.messageAdded.seq - 1));
      expect(sub.errors).toEqual([]);
      sub.stop();
    }
    const contents = subscribers[0]!.sub.events.map((e) => e.messageAdded.content);
    expect(contents.slice(0, 20)).toEqual(range(1, 20).map((i) => `m${i}`));
    expect(new Set(contents).size).toBe(60);
  });

  it('replays a thread whose messages are all in Postgres, then goes live', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    await seed(app.db).messages(thread.id, ['a', 'b', 'c']);
    const sub = collect(await connect(owner), MESSAGE_ADDED, { threadId: thread.id, afterSeq: 1 });
    expect((await sub.received(2)).map((e) => e.messageAdded.content)).toEqual(['b', 'c']);
    await send(owner, thread.id, 'd');
    expect((await sub.received(3))[2].messageAdded).toEqual({ seq: 4, content: 'd' });
    sub.stop();
  });

  it('refuses a negative afterSeq with BAD_USER_INPUT', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const sub = collect(await connect(owner), MESSAGE_ADDED, { threadId: thread.id, afterSeq: -1 });
    await sub.done;
    expect(sub.errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('afterSeq older than can be replayed', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { SUBSCRIPTION_MAX_REPLAY: '5' } });
  });
  afterAll(() => app.stop());

  it('makes the first event a REPLAY_UNAVAILABLE error, registers nothing, and replays within the bound', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    for (const i of range(1, 12)) expectData(await app.gql(owner, SEND, { input: { threadId: thread.id, content: `m${i}` } }));
    const { client } = await connectAs(app.url, { userId: owner });

    const tooOld = collect(client, MESSAGE_ADDED, { threadId: thread.id, afterSeq: 2 });
    await tooOld.done;
    expect(tooOld.events).toEqual([]);
    expect(tooOld.errors.map((e) => e.extensions?.code)).toEqual(['REPLAY_UNAVAILABLE']);
    expect(tooOld.errors[0]?.message).toMatch(/after seq 2: .*at most 5/);
    expect(app.realtime.subscriptions).toBe(0);

    const within = collect(client, MESSAGE_ADDED, { threadId: thread.id, afterSeq: 7 });
    expect((await within.received(5)).map((e) => e.messageAdded.seq)).toEqual(range(8, 12));
    within.stop();
    await client.dispose();
  });
});

describe('across a Redis reconnect', () => {
  let app: TestApp;
  let admin: Redis;
  beforeAll(async () => {
    app = await startTestApp();
    admin = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    admin.disconnect();
    await app.stop();
  });

  const killSubscriberConnection = () => killSubscriberConnections(admin);
  const resyncs = async () => (await realtimeResyncs.get()).values.reduce((sum, value) => sum + value.value, 0);

  it('resubscribes and replays by seq what was published while the connection was down', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const { client } = await connectAs(app.url, { userId: owner });
    const sub = collect(client, MESSAGE_ADDED, { threadId: thread.id, afterSeq: 0 });
    const send = (i: number) => app.gql(owner, SEND, { input: { threadId: thread.id, content: `m${i}` } });
    for (const i of range(1, 3)) expectData(await send(i));
    await sub.received(3);
    const before = await resyncs();

    expect(await killSubscriberConnection()).toBe(1);
    for (const i of range(4, 10)) expectData(await send(i));

    const events = await sub.received(10);
    expect(events.map((e) => e.messageAdded.seq)).toEqual(range(1, 10));
    expect(await resyncs()).toBeGreaterThan(before);
    // One channel again, not two: the resubscription replaced the lost one.
    const [, subscribers] = (await admin.call('PUBSUB', 'NUMSUB', `tl:events:${thread.id}`)) as [string, number];
    expect(subscribers).toBe(1);
    expect(sub.events).toHaveLength(10);
    sub.stop();
    await client.dispose();
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(0));
  });
});

describe("afterSeq past the thread's newest message", () => {
  let redisServer: PrivateRedis;
  let app: TestApp;
  let client: SocketClient;
  // No persister runs (workers out of process, a private Redis no other test drains): the acked
  // messages stay in Redis only, and Postgres's lastSeq trails the real head.
  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    app = await startTestApp({ env: { REDIS_URL: redisServer.url, RUN_WORKERS_IN_PROCESS: 'false' } });
  });
  afterAll(async () => {
    await client?.client.dispose();
    await app?.stop();
    await redisServer?.dispose();
  });

  const THREAD_EVENTS = 'subscription($t: ID!, $s: Int) { threadEvents(threadId: $t, afterSeq: $s) { __typename ... on MessageAdded { seq } } }';

  it('is refused with BAD_USER_INPUT on threadEvents and messageAdded, registering nothing; the head itself resumes, from Redis', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    for (const i of range(1, 3)) expectData(await app.gql(owner, SEND, { input: { threadId: thread.id, content: `m${i}` } }));
    const row = await app.db.selectFrom('threads').select('last_seq').where('id', '=', thread.id).executeTakeFirstOrThrow();
    expect(row.last_seq).toBe(0);
    client = await connectAs(app.url, { userId: owner });

    const before = app.realtime.subscriptions;
    for (const [query, variables] of [
      [THREAD_EVENTS, { t: thread.id, s: 4 }],
      [MESSAGE_ADDED, { threadId: thread.id, afterSeq: 1_000 }],
    ] as const) {
      const refused = collect(client.client, query, variables);
      await refused.done;
      expect(refused.errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(refused.errors[0]!.message).toMatch(/^afterSeq \d+ is past the thread's newest message \(seq 3\)/);
      expect(refused.events).toEqual([]);
    }
    expect(app.realtime.subscriptions).toBe(before);

    // At the head (known to Redis only) the subscription is live from seq 4 on, nothing skipped.
    const atHead = collect(client.client, THREAD_EVENTS, { t: thread.id, s: 3 });
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(before + 1));
    for (const i of range(4, 5)) expectData(await app.gql(owner, SEND, { input: { threadId: thread.id, content: `m${i}` } }));
    expect(await atHead.received(2)).toEqual([4, 5].map((seq) => ({ threadEvents: { __typename: 'MessageAdded', seq } })));
    expect(atHead.errors).toEqual([]);
    atHead.stop();
  });
});
