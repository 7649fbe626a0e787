import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { viewerFeedKey } from '../../src/storage/redis-keys.js';
import { expectData } from '../support/expect-graphql.js';
import { killSubscriberConnections } from '../support/subscriber-connections.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, type Collected, type SocketClient } from '../support/ws-client.js';

const VIEWER_EVENTS = `subscription($after: String) { viewerEvents(after: $after) {
  __typename
  ... on ThreadCreated { cursor thread { id title } }
  ... on ViewerThreadUpdated { cursor thread { id title status } }
  ... on ThreadActivity { cursor threadId lastMessage { seq content } unreadCount }
  ... on ThreadRead { cursor thread { id lastReadSeq } unreadCount }
  ... on ViewerRunStatusChanged { cursor run { id status } }
  ... on ViewerThreadDeleted { cursor threadId }
} }`;
const CREATE = 'mutation($input: CreateThreadInput) { createThread(input: $input) { id } }';
const RENAME = 'mutation($input: UpdateThreadInput!) { updateThread(input: $input) { id } }';
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq durability } }';
const START_RUN = 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }';
const MARK_READ = 'mutation($input: MarkThreadReadInput!) { markThreadRead(input: $input) { id } }';
const DELETE = 'mutation($id: ID!) { deleteThread(id: $id) { threadId } }';

type FeedEvent = { __typename: string; cursor: string; [field: string]: unknown };
const feedOf = (sub: Collected) => sub.events.map((event) => event.viewerEvents as FeedEvent);
/** What a test compares: the event without its cursor (cursors are compared on their own). */
const shapeOf = ({ cursor: _cursor, ...rest }: FeedEvent) => rest;

/** Cursors are stream entry IDs: strictly increasing in feed order. */
function expectIncreasing(cursors: string[]): void {
  const parsed = cursors.map((cursor) => cursor.split('-').map(BigInt) as [bigint, bigint]);
  for (let i = 1; i < parsed.length; i++) {
    const [[ms0, seq0], [ms1, seq1]] = [parsed[i - 1]!, parsed[i]!];
    expect(ms1 > ms0 || (ms1 === ms0 && seq1 > seq0), `${cursors[i - 1]} < ${cursors[i]}`).toBe(true);
  }
}

describe('viewerEvents: one feed per viewer', () => {
  let app: TestApp;
  let other: TestApp;
  const clients: SocketClient[] = [];
  beforeAll(async () => {
    [app, other] = await Promise.all([startTestApp(), startTestApp()]);
  });
  afterAll(async () => {
    await Promise.all(clients.map(({ client }) => client.dispose()));
    await Promise.all([app.stop(), other.stop()]);
  });
  const connect = async (on: TestApp, userId: string) => {
    const connected = await connectAs(on.url, { userId });
    clients.push(connected);
    return connected.client;
  };

  /** Every kind of event, through `on`; returns what the feed should say, in order. */
  async function everyKind(on: TestApp, owner: string) {
    const threadId = expectData(await on.gql(owner, CREATE, { input: { title: 'Trip' } })).createThread.id as string;
    expectData(await on.gql(owner, RENAME, { input: { id: threadId, title: 'Trip to Turin' } }));
    for (const content of ['first', 'second']) {
      // Acked from Redis: the send script itself appended the activity to the feed.
      expect(expectData(await on.gql(owner, SEND, { input: { threadId, content } })).sendMessage.durability).toBe('HOT');
    }
    const runId = expectData(await on.gql(owner, START_RUN, { input: { threadId } })).startRun.id as string;
    expectData(await on.gql(owner, MARK_READ, { input: { threadId, seq: 1 } }));
    return {
      threadId,
      expected: [
        { __typename: 'ThreadCreated', thread: { id: threadId, title: 'Trip' } },
        { __typename: 'ViewerThreadUpdated', thread: { id: threadId, title: 'Trip to Turin', status: 'ACTIVE' } },
        // unreadCount is judged by the read position when delivered: after the mark at 1, seq 1 is read.
        { __typename: 'ThreadActivity', threadId, lastMessage: { seq: 1, content: 'first' } },
        { __typename: 'ThreadActivity', threadId, lastMessage: { seq: 2, content: 'second' } },
        { __typename: 'ViewerRunStatusChanged', run: { id: runId, status: 'QUEUED' } },
        { __typename: 'ThreadRead', thread: { id: threadId, lastReadSeq: 1 }, unreadCount: 1 },
      ],
    };
  }
  const withoutUnread = ({ unreadCount: _unread, ...rest }: Record<string, unknown>) => rest;
  const comparable = (events: FeedEvent[]) => events.map((event) => (event.__typename === 'ThreadActivity' ? withoutUnread(shapeOf(event)) : shapeOf(event)));

  it('delivers every kind of event live, in order, each with an increasing cursor; a deletion ends the thread there', async () => {
    const owner = newUserId();
    const sub = collect(await connect(app, owner), VIEWER_EVENTS);
    const { threadId, expected } = await everyKind(app, owner);
    expectData(await app.gql(owner, DELETE, { id: threadId }));
    const all = [...expected, { __typename: 'ViewerThreadDeleted', threadId }];
    await sub.received(all.length);
    expect(comparable(feedOf(sub))).toEqual(all);
    expectIncreasing(feedOf(sub).map((event) => event.cursor));
    // Erased from the feed too: nothing but the deletion names the thread there now (and that
    // goes once the erasure completes, which thread-erasure.test.ts shows).
    const admin = new Redis(inject('redisUrl'));
    const naming = (await admin.xrange(viewerFeedKey(owner), '-', '+')).filter(([, fields]) => fields.join(' ').includes(threadId));
    admin.disconnect();
    expect(naming.map(([, fields]) => fields[1]).filter((type) => type !== 'ViewerThreadDeleted')).toEqual([]);
    sub.stop();
  });

  it('resumes after any cursor with exactly the rest, then goes live, nothing twice', async () => {
    const owner = newUserId();
    const client = await connect(app, owner);
    const live = collect(client, VIEWER_EVENTS);
    const { threadId, expected } = await everyKind(app, owner);
    await live.received(expected.length);
    for (const k of [0, 2, 3, expected.length - 1]) {
      // The live subscriber has everything so far: the resumed one must get exactly what follows the cursor.
      const before = feedOf(live);
      const resumed = collect(client, VIEWER_EVENTS, { after: before[k]!.cursor });
      await resumed.received(before.length - k - 1);
      // A send after the replay: it arrives once, after everything replayed.
      expectData(await app.gql(owner, SEND, { input: { threadId, content: `after resume ${k}` } }));
      const got = (await resumed.received(before.length - k)).map((e) => e.viewerEvents as FeedEvent);
      const all = (await live.received(before.length + 1)).map((e) => e.viewerEvents as FeedEvent);
      expect(got.map((event) => event.cursor)).toEqual(all.slice(k + 1).map((event) => event.cursor));
      expect(got.at(-1)).toMatchObject({ __typename: 'ThreadActivity', lastMessage: { content: `after resume ${k}` } });
      resumed.stop();
    }
    live.stop();
  });

  it('resumes on another instance, and after a restart, from a cursor received elsewhere', async () => {
    const owner = newUserId();
    const onA = collect(await connect(app, owner), VIEWER_EVENTS);
    // Written through the other instance: the subscriber on A gets it all through Redis.
    const { threadId, expected } = await everyKind(other, owner);
    const received = (await onA.received(expected.length)).map((e) => e.viewerEvents as FeedEvent);
    expect(comparable(received)).toEqual(expected);
    onA.stop();

    const restarted = await startTestApp();
    try {
      const resumed = collect(await connect(restarted, owner), VIEWER_EVENTS, { after: received[1]!.cursor });
      const replayed = (await resumed.received(expected.length - 2)).map((e) => e.viewerEvents as FeedEvent);
      expect(replayed.map((event) => event.cursor)).toEqual(received.slice(2).map((event) => event.cursor));
      expectData(await app.gql(owner, SEND, { input: { threadId, content: 'written on A' } }));
      const next = (await resumed.received(expected.length - 1)).at(-1)!.viewerEvents;
      expect(next).toMatchObject({ __typename: 'ThreadActivity', threadId, lastMessage: { seq: 3, content: 'written on A' } });
      resumed.stop();
    } finally {
      await restarted.stop();
    }
  });

  it("never shows another user's activity", async () => {
    const [owner, stranger] = [newUserId(), newUserId()];
    const sub = collect(await connect(app, owner), VIEWER_EVENTS);
    const strangers = collect(await connect(other, stranger), VIEWER_EVENTS);
    await everyKind(other, stranger);
    await everyKind(app, stranger);
    // A sentinel of the owner's own: once it arrived, everything before it has too.
    const mine = expectData(await app.gql(owner, CREATE, { input: { title: 'mine' } })).createThread.id;
    await sub.received(1);
    await strangers.received(12);
    expect(comparable(feedOf(sub))).toEqual([{ __typename: 'ThreadCreated', thread: { id: mine, title: 'mine' } }]);
    // And a resume from the very start of the stranger's feed shows the stranger's events only.
    const first = feedOf(strangers)[0]!.cursor;
    const resumedByOwner = collect(await connect(app, owner), VIEWER_EVENTS, { after: first });
    const allMine = await resumedByOwner.received(1);
    expect(allMine.map((e) => e.viewerEvents.__typename)).toEqual(['ThreadCreated']);
    for (const s of [sub, strangers, resumedByOwner]) s.stop();
  });

  it('pushes unread counts to every device when another device marks the thread read', async () => {
    const owner = newUserId();
    const [phone, laptop] = [await connect(app, owner), await connect(other, owner)];
    const onPhone = collect(phone, VIEWER_EVENTS);
    const onLaptop = collect(laptop, VIEWER_EVENTS);
    const threadId = expectData(await app.gql(owner, CREATE, { input: { title: 'badges' } })).createThread.id as string;
    for (const content of ['a', 'b', 'c']) expectData(await app.gql(owner, SEND, { input: { threadId, content } }));
    for (const sub of [onPhone, onLaptop]) {
      const activity = (await sub.received(4)).slice(1).map((e) => e.viewerEvents);
      expect(activity.map((event) => event.unreadCount)).toEqual([1, 2, 3]);
    }
    // The laptop reads the thread; the phone is told at once, the unread count with it.
    expectData(await other.gql(owner, MARK_READ, { input: { threadId, seq: 3 } }));
    for (const sub of [onPhone, onLaptop]) {
      const [read] = (await sub.received(5)).slice(4).map((e) => e.viewerEvents);
      expect(shapeOf(read)).toEqual({ __typename: 'ThreadRead', thread: { id: threadId, lastReadSeq: 3 }, unreadCount: 0 });
    }
    for (const s of [onPhone, onLaptop]) s.stop();
  });

  it('announces a fork once, as its ThreadCreated, not as activity per copied message', async () => {
    const owner = newUserId();
    const sub = collect(await connect(app, owner), VIEWER_EVENTS);
    const threadId = expectData(await app.gql(owner, CREATE, { input: { title: 'source' } })).createThread.id as string;
    const sent = [];
    for (const content of ['one', 'two']) sent.push(expectData(await app.gql(owner, SEND, { input: { threadId, content } })).sendMessage);
    const fork = expectData(await app.gql(owner, 'mutation($input: ForkThreadInput!) { forkThread(input: $input) { id } }', { input: { messageId: sent[1].id } }));
    const sentinel = expectData(await app.gql(owner, CREATE, { input: { title: 'after the fork' } })).createThread.id;
    await sub.received(5);
    expect(feedOf(sub).map((event) => [event.__typename, (event.thread as { id?: string } | undefined)?.id ?? event.threadId])).toEqual([
      ['ThreadCreated', threadId],
      ['ThreadActivity', threadId],
      ['ThreadActivity', threadId],
      ['ThreadCreated', fork.forkThread.id],
      ['ThreadCreated', sentinel],
    ]);
    sub.stop();
  });

  it('refuses a malformed cursor with BAD_USER_INPUT and an anonymous caller with UNAUTHENTICATED', async () => {
    const owner = newUserId();
    expectData(await app.gql(owner, CREATE, { input: { title: 'a feed to be past the head of' } }));
    for (const after of ['not-a-cursor', '12', '1-2-3', '99999999999999-0']) {
      const sub = collect(await connect(app, owner), VIEWER_EVENTS, { after });
      await sub.done;
      expect(sub.errors.map((error) => error.extensions?.code), after).toEqual(['BAD_USER_INPUT']);
    }
    // A user with no feed (none yet, or expired with its hot state): any cursor but 0-0 names events that are gone.
    const expired = collect(await connect(app, newUserId()), VIEWER_EVENTS, { after: '1796592553334-0' });
    await expired.done;
    expect(expired.errors.map((error) => error.extensions?.code)).toEqual(['REPLAY_UNAVAILABLE']);
    const anonymous = await app.gql(null, VIEWER_EVENTS, {});
    expect(anonymous.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('viewerEvents: a cursor the capped feed no longer holds', () => {
  let app: TestApp;
  let admin: Redis;
  const clients: SocketClient[] = [];
  beforeAll(async () => {
    app = await startTestApp({ env: { VIEWER_FEED_MAX_EVENTS: '10' } });
    admin = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await Promise.all(clients.map(({ client }) => client.dispose()));
    admin.disconnect();
    await app.stop();
  });

  it('answers REPLAY_UNAVAILABLE once the events after it were trimmed, and replays a recent one', async () => {
    const owner = newUserId();
    const connected = await connectAs(app.url, { userId: owner });
    clients.push(connected);
    const live = collect(connected.client, VIEWER_EVENTS);
    const threadId = expectData(await app.gql(owner, CREATE, { input: { title: 'busy' } })).createThread.id as string;
    const [created] = (await live.received(1)).map((e) => e.viewerEvents as FeedEvent);
    // Trimming is approximate (whole stream nodes of 100 entries): enough sends that the first node goes.
    for (let batch = 0; batch < 25; batch++) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, i) => expectData(await app.gql(owner, SEND, { input: { threadId, content: `m${batch * 10 + i}` } }))),
      );
    }
    const events = (await live.received(251)).map((e) => e.viewerEvents as FeedEvent);
    expect(await admin.xlen(viewerFeedKey(owner))).toBeLessThan(251);

    const tooOld = collect(connected.client, VIEWER_EVENTS, { after: created!.cursor });
    await tooOld.done;
    expect(tooOld.errors.map((error) => error.extensions?.code)).toEqual(['REPLAY_UNAVAILABLE']);

    const recent = collect(connected.client, VIEWER_EVENTS, { after: events[245]!.cursor });
    const replayed = (await recent.received(5)).map((e) => e.viewerEvents as FeedEvent);
    expect(replayed.map((event) => event.cursor)).toEqual(events.slice(246).map((event) => event.cursor));
    for (const s of [live, recent]) s.stop();
  });
});

describe('viewerEvents across a Redis reconnect', () => {
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

  it('catches up from its last cursor what was announced while the channel was down, then leaves nothing registered', async () => {
    const owner = newUserId();
    const { client } = await connectAs(app.url, { userId: owner });
    const sub = collect(client, VIEWER_EVENTS);
    const threadId = expectData(await app.gql(owner, CREATE, { input: { title: 'flaky network' } })).createThread.id as string;
    await sub.received(1);

    expect(await killSubscriberConnections(admin)).toBeGreaterThan(0);
    for (let i = 1; i <= 7; i++) expectData(await app.gql(owner, SEND, { input: { threadId, content: `m${i}` } }));
    const events = (await sub.received(8)).map((e) => e.viewerEvents as FeedEvent);
    expect(events.slice(1).map((event) => (event.lastMessage as { seq: number }).seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // A sentinel after the catch-up: once it is in, nothing came twice.
    expectData(await app.gql(owner, SEND, { input: { threadId, content: 'sentinel' } }));
    await sub.received(9);
    expect(feedOf(sub).map((event) => event.cursor)).toEqual([...new Set(feedOf(sub).map((event) => event.cursor))]);
    expect(feedOf(sub)).toHaveLength(9);
    expectIncreasing(feedOf(sub).map((event) => event.cursor));

    await client.dispose();
    await vi.waitFor(() => expect([app.realtime.subscriptions, app.realtime.channels]).toEqual([0, 0]));
  });
});
