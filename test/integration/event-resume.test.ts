import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { threadKeys, viewerFeedKey } from '../../src/storage/redis-keys.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, subscriptionsHeld, type Collected, type SocketClient } from '../support/ws-client.js';

// Issue 12 §1: every threadEvents event carries a cursor, and `after: <cursor>` replays everything
// after it from the thread's event log, then goes live, with no gap and no duplicate.

const THREAD_EVENTS = `subscription($threadId: ID!, $after: String, $afterSeq: Int) { threadEvents(threadId: $threadId, after: $after, afterSeq: $afterSeq) {
  __typename
  ... on MessageAdded { cursor seq message { id status content } }
  ... on MessageDelta { cursor seq messageId index delta }
  ... on MessageCompleted { cursor seq message { id status content } }
  ... on MessageEdited { cursor seq message { id content revision } }
  ... on MessageDeleted { cursor seq messageId }
  ... on RunStatusChanged { cursor run { id status } }
  ... on ThreadUpdated { cursor thread { id title } }
  ... on ThreadDeleted { cursor threadId }
} }`;
const RUN_UPDATED = 'subscription($runId: ID!, $after: String) { runUpdated(runId: $runId, after: $after) { id status updateCursor } }';
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq } }';
const START = 'mutation($input: StartMessageInput!) { startMessage(input: $input) { id seq } }';
const APPEND = 'mutation($input: AppendMessageDeltaInput!) { appendMessageDelta(input: $input) { id } }';
const COMPLETE = 'mutation($id: ID!) { completeMessage(id: $id) { id } }';
const START_RUN = 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }';
const RUN_STATUS = 'mutation($input: UpdateRunStatusInput!) { updateRunStatus(input: $input) { id status } }';
const RENAME = 'mutation($input: UpdateThreadInput!) { updateThread(input: $input) { id } }';
const EDIT = 'mutation($input: EditMessageInput!) { editMessage(input: $input) { id } }';
const DELETE = 'mutation($id: ID!) { deleteMessage(id: $id) { id } }';

type Event = { __typename: string; cursor: string; [field: string]: unknown };

const withoutCursor = ({ cursor: _cursor, ...event }: Event) => event;
const isDelta = (event: Event) => event.__typename === 'MessageDelta';
const isEditOf = (messageId: string, event: Event) => event.__typename === 'MessageEdited' && (event.message as { id: string }).id === messageId;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('threadEvents(after:)', () => {
  let app: TestApp;
  const clients: SocketClient[] = [];
  beforeAll(async () => {
    app = await startTestApp();
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
  const gql = async (user: string, query: string, variables: Record<string, unknown>) => expectData(await app.gql(user, query, variables));
  /** A new owner with a thread, their socket, and a threadEvents subscription from now that the server holds. */
  const watchNewThread = async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const client = await connect(owner);
    const before = app.realtime.subscriptions;
    const live = collect(client, THREAD_EVENTS, { threadId: thread.id });
    await subscriptionsHeld(app, before + 1);
    return { owner, thread, client, live };
  };
  const threadEvents = (sub: Collected) => sub.events.map((data) => data.threadEvents as Event);
  /** Waits until `sub` holds an event matching `done`, then a moment more, so a duplicate would show. */
  const settle = async (sub: Collected, done: (event: Event) => boolean) => {
    await vi.waitFor(() => expect(threadEvents(sub).some(done)).toBe(true), { timeout: 10_000, interval: 20 });
    await pause(150);
    return threadEvents(sub);
  };

  it('resumes after the cursor of every kind of event: the rest once each, with the same cursors, a completed stream compacted to its completion, then live', async () => {
    const { owner, thread, client, live } = await watchNewThread();

    const first = (await gql(owner, SEND, { input: { threadId: thread.id, content: 'question' } })).sendMessage;
    const run = (await gql(owner, START_RUN, { input: { threadId: thread.id } })).startRun;
    await gql(owner, RUN_STATUS, { input: { id: run.id, status: 'IN_PROGRESS' } });
    const reply = (await gql(owner, START, { input: { threadId: thread.id, role: 'ASSISTANT', runId: run.id } })).startMessage;
    for (const delta of ['Hel', 'lo', ', wör', 'ld']) await gql(owner, APPEND, { input: { id: reply.id, delta } });
    await gql(owner, RENAME, { input: { id: thread.id, title: 'Renamed while streaming' } });
    await gql(owner, COMPLETE, { id: reply.id });
    await gql(owner, EDIT, { input: { id: first.id, content: 'question, edited' } });
    await gql(owner, DELETE, { id: first.id });
    await gql(owner, RUN_STATUS, { input: { id: run.id, status: 'COMPLETED' } });

    const events = await settle(live, (event) => event.__typename === 'RunStatusChanged' && (event.run as { status: string }).status === 'COMPLETED');
    const kinds = new Set(events.map((event) => event.__typename));
    for (const kind of ['MessageAdded', 'RunStatusChanged', 'MessageDelta', 'ThreadUpdated', 'MessageCompleted', 'MessageEdited', 'MessageDeleted']) {
      expect(kinds, kind).toContain(kind);
    }
    expect(new Set(events.map((event) => event.cursor)).size).toBe(events.length);

    // The stream completed before anyone resumes: a replay holds its completion, never its chunks.
    const resumable = [...events];
    for (const [index, event] of resumable.entries()) {
      const resumed = collect(client, THREAD_EVENTS, { threadId: thread.id, after: event.cursor });
      // Nor the edits of the message deleted later: a deletion takes its text out of the log.
      const expected = events.slice(index + 1).filter((later) => !isDelta(later) && !isEditOf(first.id, later));
      const replayed = (await resumed.received(expected.length)).map((data) => data.threadEvents as Event);
      expect(replayed, `after the ${event.__typename} at ${index}`).toEqual(expected);

      // Then live, from where the replay ended: the next send once, nothing twice.
      const next = (await gql(owner, SEND, { input: { threadId: thread.id, content: `after resume ${index}` } })).sendMessage;
      const all = await settle(resumed, (later) => later.__typename === 'MessageAdded' && later.seq === next.seq);
      expect(all.slice(expected.length).map(withoutCursor)).toEqual([
        { __typename: 'MessageAdded', seq: next.seq, message: { id: next.id, status: 'COMPLETED', content: `after resume ${index}` } },
      ]);
      expect(resumed.errors).toEqual([]);
      resumed.stop();
      // The live subscriber saw that send too: later resumes expect it.
      events.splice(0, events.length, ...(await settle(live, (later) => later.__typename === 'MessageAdded' && later.seq === next.seq)));
    }
    expect(live.errors).toEqual([]);
    live.stop();
  });

  it("keeps no text of a deleted message: its events leave the thread's log and the viewer feed, and a replay carries its tombstone, then its deletion", async () => {
    const { owner, thread, client, live } = await watchNewThread();
    const admin = new Redis(inject('redisUrl'));
    try {
      await gql(owner, SEND, { input: { threadId: thread.id, content: 'hello' } });
      const secret = (await gql(owner, SEND, { input: { threadId: thread.id, content: 'my password is hunter2' } })).sendMessage;
      await gql(owner, EDIT, { input: { id: secret.id, content: 'my password is hunter3' } });
      const { events: log } = threadKeys(thread.id as ThreadId);
      const feed = viewerFeedKey(owner);
      // Before the deletion both hold the text: what the check below sees gone was there.
      await vi.waitFor(async () => expect(JSON.stringify(await admin.xrange(log, '-', '+'))).toContain('hunter3'));
      expect(JSON.stringify(await admin.xrange(feed, '-', '+'))).toContain('hunter2');

      await gql(owner, DELETE, { id: secret.id });
      const after = (await gql(owner, SEND, { input: { threadId: thread.id, content: 'after' } })).sendMessage;
      const seen = await settle(live, (event) => event.__typename === 'MessageAdded' && event.seq === after.seq);
      expect(seen.map((event) => event.__typename)).toEqual(['MessageAdded', 'MessageAdded', 'MessageEdited', 'MessageDeleted', 'MessageAdded']);
      await vi.waitFor(async () => expect(JSON.stringify(await admin.xrange(feed, '-', '+'))).not.toContain('hunter'));
      expect(JSON.stringify(await admin.xrange(log, '-', '+'))).not.toContain('hunter');

      const resumed = collect(client, THREAD_EVENTS, { threadId: thread.id, after: seen[0]?.cursor });
      const replayed = (await resumed.received(3)).map((data) => data.threadEvents as Event);
      expect(replayed.map(withoutCursor)).toEqual([
        { __typename: 'MessageAdded', seq: secret.seq, message: { id: secret.id, status: 'COMPLETED', content: '' } },
        { __typename: 'MessageDeleted', seq: secret.seq, messageId: secret.id },
        { __typename: 'MessageAdded', seq: after.seq, message: { id: after.id, status: 'COMPLETED', content: 'after' } },
      ]);
      expect(replayed[1]?.cursor).toBe(seen[3]?.cursor);
      expect(resumed.errors).toEqual([]);
      resumed.stop();

      // The viewer feed replays across the forgotten activity: deleted, not trimmed, so not refused.
      const feedReplay = collect(client, 'subscription($after: String) { viewerEvents(after: $after) { ... on ThreadActivity { lastMessage { seq content } } } }', { after: '0-0' });
      const activity = (await feedReplay.received(2)).map((data) => data.viewerEvents.lastMessage);
      expect(activity).toEqual([{ seq: 1, content: 'hello' }, { seq: after.seq, content: 'after' }]);
      expect(feedReplay.errors).toEqual([]);
      feedReplay.stop();
      live.stop();
    } finally {
      admin.disconnect();
    }
  });

  it('gives a client that dropped while a reply streamed the rest of its deltas, then its completion; after the completion, the completion alone', async () => {
    const { owner, thread, client, live: first } = await watchNewThread();
    const reply = (await gql(owner, START, { input: { threadId: thread.id, role: 'ASSISTANT' } })).startMessage;
    for (const delta of ['a', 'b', 'c']) await gql(owner, APPEND, { input: { id: reply.id, delta } });
    const seen = (await first.received(4)).map((data) => data.threadEvents as Event);
    const dropAt = seen[2] as Event;
    expect(dropAt).toMatchObject({ __typename: 'MessageDelta', index: 1, delta: 'b' });
    first.stop();

    // The client is away: more chunks arrive, then it resumes while the reply still streams.
    for (const delta of ['d', 'e']) await gql(owner, APPEND, { input: { id: reply.id, delta } });
    const resumed = collect(client, THREAD_EVENTS, { threadId: thread.id, after: dropAt.cursor });
    const rest = (await resumed.received(3)).map((data) => withoutCursor(data.threadEvents as Event));
    expect(rest).toEqual(
      ['c', 'd', 'e'].map((delta, i) => ({ __typename: 'MessageDelta', seq: reply.seq, messageId: reply.id, index: i + 2, delta })),
    );
    await gql(owner, COMPLETE, { id: reply.id });
    const all = await settle(resumed, (event) => event.__typename === 'MessageCompleted');
    expect(all.slice(3).map(withoutCursor)).toEqual([
      { __typename: 'MessageCompleted', seq: reply.seq, message: { id: reply.id, status: 'COMPLETED', content: 'abcde' } },
    ]);
    resumed.stop();

    // Resuming from the same cursor once the reply completed: its deltas were compacted away.
    const late = collect(client, THREAD_EVENTS, { threadId: thread.id, after: dropAt.cursor });
    const compacted = await settle(late, (event) => event.__typename === 'MessageCompleted');
    expect(compacted.map(withoutCursor)).toEqual([
      { __typename: 'MessageCompleted', seq: reply.seq, message: { id: reply.id, status: 'COMPLETED', content: 'abcde' } },
    ]);
    expect(late.errors).toEqual([]);
    late.stop();
  });

  it('resumes runUpdated after an updateCursor, and takes a threadEvents cursor too', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const client = await connect(owner);
    const run = (await gql(owner, START_RUN, { input: { threadId: thread.id } })).startRun;
    const before = app.realtime.subscriptions;
    const updates = collect(client, RUN_UPDATED, { runId: run.id });
    const events = collect(client, THREAD_EVENTS, { threadId: thread.id });
    await subscriptionsHeld(app, before + 2);
    await gql(owner, RUN_STATUS, { input: { id: run.id, status: 'IN_PROGRESS' } });
    const [inProgress] = await updates.received(1);
    expect(inProgress.runUpdated).toMatchObject({ id: run.id, status: 'IN_PROGRESS', updateCursor: expect.any(String) });
    updates.stop();

    await gql(owner, SEND, { input: { threadId: thread.id, content: 'between' } });
    await gql(owner, RUN_STATUS, { input: { id: run.id, status: 'COMPLETED' } });
    await settle(events, (event) => event.__typename === 'RunStatusChanged' && (event.run as { status: string }).status === 'COMPLETED');

    const resumed = collect(client, RUN_UPDATED, { runId: run.id, after: inProgress.runUpdated.updateCursor });
    await vi.waitFor(() => expect(resumed.events.length).toBe(1), { timeout: 10_000, interval: 20 });
    await pause(150);
    expect(resumed.events.map((data) => data.runUpdated.status)).toEqual(['COMPLETED']);
    resumed.stop();

    // A cursor of the thread's events works for its runs: after the first event (the IN_PROGRESS change), the same.
    const started = threadEvents(events).find((event) => event.__typename === 'RunStatusChanged' && (event.run as { status: string }).status === 'IN_PROGRESS');
    const fromThread = collect(client, RUN_UPDATED, { runId: run.id, after: started?.cursor });
    await vi.waitFor(() => expect(fromThread.events.length).toBe(1), { timeout: 10_000, interval: 20 });
    await pause(150);
    expect(fromThread.events.map((data) => data.runUpdated.status)).toEqual(['COMPLETED']);
    expect([...resumed.errors, ...fromThread.errors]).toEqual([]);
    fromThread.stop();
    events.stop();
  });

  it('refuses a malformed cursor, one past the newest event, and after with afterSeq, with BAD_USER_INPUT, registering nothing', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const sent = (await gql(owner, SEND, { input: { threadId: thread.id, content: 'one' } })).sendMessage;
    const client = await connect(owner);
    const live = collect(client, THREAD_EVENTS, { threadId: thread.id, afterSeq: 0 });
    const [added] = await live.received(1);
    const cursor = added.threadEvents.cursor as string;
    live.stop();
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(0));

    const [entry] = cursor.split(':') as [string];
    const [ms] = entry.split('-');
    const refused = [
      { after: 'not-a-cursor' },
      { after: `${entry}` },
      { after: `${Number(ms) + 60_000}-0:${sent.seq}` },
      { after: `${entry}:${sent.seq + 5}` },
      { after: cursor, afterSeq: 0 },
    ];
    for (const variables of refused) {
      const sub = collect(client, THREAD_EVENTS, { threadId: thread.id, ...variables });
      await sub.done;
      expect(sub.errors.map((error) => error.extensions?.code), JSON.stringify(variables)).toEqual(['BAD_USER_INPUT']);
      expect(sub.events).toEqual([]);
    }
    expect(app.realtime.subscriptions).toBe(0);
    const run = (await gql(owner, START_RUN, { input: { threadId: thread.id } })).startRun;
    const bad = collect(client, RUN_UPDATED, { runId: run.id, after: 'nope' });
    await bad.done;
    expect(bad.errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('resumes on another instance (a restarted server is one) from a cursor taken on this one', async () => {
    const { owner, thread, client, live } = await watchNewThread();
    const reply = (await gql(owner, START, { input: { threadId: thread.id } })).startMessage;
    await gql(owner, APPEND, { input: { id: reply.id, delta: 'one ' } });
    const [, delta] = (await live.received(2)).map((data) => data.threadEvents as Event);
    live.stop();
    await gql(owner, APPEND, { input: { id: reply.id, delta: 'two' } });

    const other = await startTestApp();
    try {
      const connected = await connectAs(other.url, { userId: owner });
      clients.push(connected);
      const resumed = collect(connected.client, THREAD_EVENTS, { threadId: thread.id, after: delta?.cursor });
      const [next] = await resumed.received(1);
      expect(withoutCursor(next.threadEvents)).toEqual({ __typename: 'MessageDelta', seq: reply.seq, messageId: reply.id, index: 1, delta: 'two' });
      await gql(owner, COMPLETE, { id: reply.id });
      const all = await settle(resumed, (event) => event.__typename === 'MessageCompleted');
      expect(all.map((event) => event.__typename)).toEqual(['MessageDelta', 'MessageCompleted']);
      resumed.stop();
    } finally {
      await other.stop();
    }
  });

  it("refuses another user's thread with NOT_FOUND, whatever the cursor", async () => {
    const intruder = newUserId('intruder');
    const { owner, thread, live } = await watchNewThread();
    await gql(owner, SEND, { input: { threadId: thread.id, content: 'private' } });
    const [added] = await live.received(1);
    live.stop();
    const run = (await gql(owner, START_RUN, { input: { threadId: thread.id } })).startRun;
    const other = await connect(intruder);
    // Well-formed or not, the resume point is looked at only once the thread is the caller's.
    const cursor = added.threadEvents.cursor as string;
    for (const resume of [{ after: cursor }, { after: 'abc' }, { after: cursor, afterSeq: 0 }, { afterSeq: -1 }]) {
      const sub = collect(other, THREAD_EVENTS, { threadId: thread.id, ...resume });
      await sub.done;
      expect(sub.errors.map((error) => error.extensions?.code), JSON.stringify(resume)).toEqual(['NOT_FOUND']);
      expect(sub.events).toEqual([]);
    }
    for (const after of [cursor, 'abc']) {
      const sub = collect(other, RUN_UPDATED, { runId: run.id, after });
      await sub.done;
      expect(sub.errors.map((error) => error.extensions?.code), after).toEqual(['NOT_FOUND']);
    }
  });
});

describe('threadEvents(after:) further back than the log keeps', () => {
  let app: TestApp;
  let admin: Redis;
  let client: SocketClient;
  beforeAll(async () => {
    app = await startTestApp({ env: { THREAD_EVENT_LOG_MAX_EVENTS: '10' } });
    admin = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await client?.client.dispose();
    admin.disconnect();
    await app.stop();
  });

  it('answers REPLAY_UNAVAILABLE once events after the cursor were trimmed, or the log was lost, and replays a recent cursor', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    client = await connectAs(app.url, { userId: owner });
    const live = collect(client.client, THREAD_EVENTS, { threadId: thread.id });
    await subscriptionsHeld(app, 1);
    for (let i = 1; i <= 25; i++) expectData(await app.gql(owner, SEND, { input: { threadId: thread.id, content: `m${i}` } }));
    const events = (await live.received(25)).map((data) => data.threadEvents as Event);
    live.stop();

    const tooOld = collect(client.client, THREAD_EVENTS, { threadId: thread.id, after: events[0]?.cursor });
    await tooOld.done;
    expect(tooOld.errors.map((error) => error.extensions?.code)).toEqual(['REPLAY_UNAVAILABLE']);
    expect(tooOld.errors[0]?.message).toContain('THREAD_EVENT_LOG_MAX_EVENTS');
    expect(tooOld.events).toEqual([]);

    const recent = collect(client.client, THREAD_EVENTS, { threadId: thread.id, after: events[19]?.cursor });
    expect((await recent.received(5)).map((data) => data.threadEvents.seq)).toEqual([21, 22, 23, 24, 25]);
    recent.stop();

    // Redis lost the log (a flush, a restart without persistence): nothing can tell what came after.
    const { events: log, eventsFloor } = threadKeys(thread.id as ThreadId);
    expect(await admin.exists(log)).toBe(1);
    await admin.del(log, eventsFloor);
    const lost = collect(client.client, THREAD_EVENTS, { threadId: thread.id, after: events[22]?.cursor });
    await lost.done;
    expect(lost.errors.map((error) => error.extensions?.code)).toEqual(['REPLAY_UNAVAILABLE']);
    // afterSeq still resumes: messages come from the message store.
    const bySeq = collect(client.client, THREAD_EVENTS, { threadId: thread.id, afterSeq: 23 });
    expect((await bySeq.received(2)).map((data) => data.threadEvents.seq)).toEqual([24, 25]);
    bySeq.stop();
  });
});

describe('threadEvents(after:) without Redis', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { DISABLE_REDIS: 'true' } });
  });
  afterAll(() => app.stop());

  it('answers REPLAY_UNAVAILABLE: there is no event log; afterSeq still resumes', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    expectData(await app.gql(owner, SEND, { input: { threadId: thread.id, content: 'kept in Postgres' } }));
    const { client } = await connectAs(app.url, { userId: owner });
    try {
      const sub = collect(client, THREAD_EVENTS, { threadId: thread.id, after: '1796592553334-0:1' });
      await sub.done;
      expect(sub.errors.map((error) => error.extensions?.code)).toEqual(['REPLAY_UNAVAILABLE']);
      const bySeq = collect(client, THREAD_EVENTS, { threadId: thread.id, afterSeq: 0 });
      const [first] = await bySeq.received(1);
      expect(first.threadEvents).toMatchObject({ __typename: 'MessageAdded', seq: 1, cursor: '0-0:1' });
      bySeq.stop();
    } finally {
      await client.dispose();
    }
  });
});
