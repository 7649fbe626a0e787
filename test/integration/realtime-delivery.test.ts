import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { realtimeSharedFrames } from '../../src/observability/metrics.js';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, subscriptionsHeld, UnresponsiveWebSocket, type SocketClient } from '../support/ws-client.js';

const MESSAGE_ADDED = 'subscription($threadId: ID!, $afterSeq: Int) { messageAdded(threadId: $threadId, afterSeq: $afterSeq) { id threadId seq content role durability } }';
const THREAD_EVENTS = `subscription($threadId: ID!, $afterSeq: Int) { threadEvents(threadId: $threadId, afterSeq: $afterSeq) {
  __typename
  ... on MessageAdded { seq threadId message { seq content } }
  ... on ThreadUpdated { threadId thread { id title } }
  ... on RunStatusChanged { threadId run { id status } }
} }`;
const RUN_UPDATED = 'subscription($runId: ID!) { runUpdated(runId: $runId) { id threadId status } }';
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq } }';

describe('realtime delivery over graphql-ws', () => {
  let app: TestApp;
  const clients: SocketClient[] = [];
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await Promise.all(clients.map(({ client }) => client.dispose()));
    await app.stop();
  });

  async function connect(auth: Parameters<typeof connectAs>[1]): Promise<SocketClient> {
    const connected = await connectAs(app.url, auth);
    clients.push(connected);
    return connected;
  }
  const send = async (user: string, threadId: string, content: string) =>
    expectData(await app.gql(user, SEND, { input: { threadId, content } })).sendMessage as { id: string; seq: number };
  const sharedFrames = async () => (await realtimeSharedFrames.get()).values[0]?.value ?? 0;
  /** Waits until the app holds `count` more subscriptions than `before`. */
  const registered = (before: number, count = 1) => subscriptionsHeld(app, before + count);

  it('delivers each message sent to the owner, in seq order, then cleans up on complete', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const { client } = await connect({ userId: owner });
    const before = app.realtime.subscriptions;
    const sub = collect(client, MESSAGE_ADDED, { threadId: thread.id });
    await registered(before);
    for (const content of ['one', 'two', 'three']) await send(owner, thread.id, content);

    const events = await sub.received(3);
    expect(events.map((e) => e.messageAdded)).toEqual([
      expect.objectContaining({ threadId: thread.id, seq: 1, content: 'one', role: 'USER', durability: 'HOT' }),
      expect.objectContaining({ seq: 2, content: 'two' }),
      expect.objectContaining({ seq: 3, content: 'three' }),
    ]);
    sub.stop();
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(before));
  });

  it('gives subscribers of one thread with different documents or variables each their own selection', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const { client } = await connect({ userId: owner });
    const before = app.realtime.subscriptions;
    const bySeq = collect(client, 'subscription($t: ID!) { messageAdded(threadId: $t) { seq } }', { t: thread.id });
    const byContent = collect(client, 'subscription($t: ID!) { messageAdded(threadId: $t) { content } }', { t: thread.id });
    const withThread = collect(client, 'subscription($t: ID!, $a: Int) { messageAdded(threadId: $t, afterSeq: $a) { seq thread { id } } }', { t: thread.id, a: 0 });
    await registered(before, 3);
    await send(owner, thread.id, 'shared');
    expect(await bySeq.received(1)).toEqual([{ messageAdded: { seq: 1 } }]);
    expect(await byContent.received(1)).toEqual([{ messageAdded: { content: 'shared' } }]);
    expect(await withThread.received(1)).toEqual([{ messageAdded: { seq: 1, thread: { id: thread.id } } }]);
    [bySeq, byContent, withThread].forEach((sub) => sub.stop());
  });

  it('writes events as one frame rendered per audience, and the usual way when the selection reads storage', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner, { title: 'Framed' });
    const { client } = await connect({ userId: owner });
    const before = app.realtime.subscriptions;
    const document = 'subscription($t: ID!) { messageAdded(threadId: $t) { id seq content createdAt durability } }';
    const first = collect(client, document, { t: thread.id });
    const second = collect(client, document, { t: thread.id });
    // thread { title } goes through a DataLoader: its result is a promise, so it cannot be pre-rendered.
    const withTitle = collect(client, 'subscription($t: ID!) { messageAdded(threadId: $t) { seq thread { title } } }', { t: thread.id });
    await registered(before, 3);
    const framesBefore = await sharedFrames();
    const sent = [await send(owner, thread.id, 'one'), await send(owner, thread.id, 'two')];

    const expected = sent.map(({ id, seq }, i) => ({
      messageAdded: { id, seq, content: ['one', 'two'][i], createdAt: expect.any(String), durability: 'HOT' },
    }));
    expect(await first.received(2)).toEqual(expected);
    expect(await second.received(2)).toEqual(expected);
    expect(await withTitle.received(2)).toEqual([1, 2].map((seq) => ({ messageAdded: { seq, thread: { title: 'Framed' } } })));
    expect((await sharedFrames()) - framesBefore).toBe(4);
    [first, second, withTitle].forEach((sub) => sub.stop());
  });

  it("refuses another user's thread with NOT_FOUND, registers nothing, and never delivers to them", async () => {
    const owner = newUserId('owner');
    const intruder = newUserId('intruder');
    const thread = await seed(app.db).thread(owner);
    const { client } = await connect({ userId: intruder });
    const before = app.realtime.subscriptions;

    for (const query of [MESSAGE_ADDED, THREAD_EVENTS]) {
      const refused = collect(client, query, { threadId: thread.id, afterSeq: 0 });
      await refused.done;
      expect(refused.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    }
    const absent = collect(client, MESSAGE_ADDED, { threadId: 'thread_test_1757372478799_1_0badf00d' });
    await absent.done;
    expect(absent.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(app.realtime.subscriptions).toBe(before);

    // The owner's subscription proves the events were published; the intruder's socket stays silent.
    const ownerSub = collect((await connect({ userId: owner })).client, MESSAGE_ADDED, { threadId: thread.id, afterSeq: 0 });
    await send(owner, thread.id, 'private');
    await ownerSub.received(1);
    const intruderEvents = collect(client, MESSAGE_ADDED, { threadId: thread.id });
    await intruderEvents.done;
    expect(intruderEvents.events).toEqual([]);
    ownerSub.stop();
  });

  it('closes a socket with a bad, missing or expired token with 4403 before any subscription', async () => {
    for (const authorization of ['Bearer not-a-jwt', null, 'Basic abc', `Bearer ${'x'.repeat(40)}.${'y'.repeat(40)}.z`]) {
      const { closed } = await connect({ authorization });
      const { code, reason } = await closed;
      expect(code, String(authorization)).toBe(4403);
      expect(reason).toMatch(/^Forbidden: /);
    }
    expect(app.realtime.subscriptions).toBe(0);
  });

  it('refuses a malformed thread ID with INVALID_ID and keeps the socket usable for other operations', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const { client, closed } = await connect({ userId: owner });
    let socketClosed = false;
    void closed.then(() => (socketClosed = true));

    const before = app.realtime.subscriptions;
    const live = collect(client, MESSAGE_ADDED, { threadId: thread.id, afterSeq: 0 });
    await registered(before);
    for (const threadId of ['not-a-thread', 'thread_x', '']) {
      const refused = collect(client, MESSAGE_ADDED, { threadId });
      await refused.done;
      expect(refused.errors.map((e) => e.extensions?.code), threadId).toEqual(['INVALID_ID']);
      expect(refused.errors[0]?.message).toContain('expected');
    }
    // An invalid document is refused for its operation only (graphql-ws would close with 4500).
    const invalid = collect(client, 'subscription { noSuchField }');
    await invalid.done;
    expect(invalid.errors).toHaveLength(1);
    const unparsable = collect(client, 'subscription {');
    await unparsable.done;
    expect(unparsable.errors).toHaveLength(1);

    await send(owner, thread.id, 'still here');
    expect((await live.received(1))[0].messageAdded.content).toBe('still here');
    const query = collect(client, '{ viewer { id } }');
    await query.done;
    expect(query.events).toEqual([{ viewer: { id: owner } }]);
    expect(socketClosed).toBe(false);
    live.stop();
  });

  it('applies the HTTP query limits to socket operations, for that operation only', async () => {
    const owner = newUserId();
    const { client, closed } = await connect({ userId: owner });
    let socketClosed = false;
    void closed.then(() => (socketClosed = true));
    const deep = `{ thread(id: "x") { ${'messages(first: 1) { edges { node { thread { '.repeat(5)} id ${'} } } } '.repeat(5)} } }`;
    const refused = collect(client, deep);
    await refused.done;
    expect(refused.errors.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(refused.errors[0]?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
    const fine = collect(client, '{ viewer { id } }');
    await fine.done;
    expect(fine.events).toHaveLength(1);
    expect(socketClosed).toBe(false);
  });

  it('threadEvents carries messages, thread updates and run status changes of that thread', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const { client } = await connect({ userId: owner });
    const sub = collect(client, THREAD_EVENTS, { threadId: thread.id, afterSeq: 0 });
    await send(owner, thread.id, 'hello');
    await sub.received(1);
    expectData(await app.gql(owner, 'mutation($input: UpdateThreadInput!) { updateThread(input: $input) { id } }', { input: { id: thread.id, title: 'Renamed' } }));
    const run = expectData(await app.gql(owner, 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }', { input: { threadId: thread.id } })).startRun;

    const events = (await sub.received(3)).map((e) => e.threadEvents);
    expect(events).toEqual([
      { __typename: 'MessageAdded', seq: 1, threadId: thread.id, message: { seq: 1, content: 'hello' } },
      { __typename: 'ThreadUpdated', threadId: thread.id, thread: { id: thread.id, title: 'Renamed' } },
      { __typename: 'RunStatusChanged', threadId: thread.id, run: { id: run.id, status: 'QUEUED' } },
    ]);
    sub.stop();
  });

  it('runUpdated follows one run, routed by the thread in its ID; other runs and users are kept out', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const [run, other] = [await seed(app.db).run(thread.id), await seed(app.db).run(thread.id)];
    const { client } = await connect({ userId: owner });
    const before = app.realtime.subscriptions;
    const sub = collect(client, RUN_UPDATED, { runId: run.id });
    await registered(before);

    const update = (id: string, status: string) =>
      app.gql(owner, 'mutation($input: UpdateRunStatusInput!) { updateRunStatus(input: $input) { id } }', { input: { id, status } });
    expectData(await update(other.id, 'IN_PROGRESS'));
    expectData(await update(run.id, 'IN_PROGRESS'));
    expectData(await update(run.id, 'COMPLETED'));
    expect((await sub.received(2)).map((e) => e.runUpdated)).toEqual([
      { id: run.id, threadId: thread.id, status: 'IN_PROGRESS' },
      { id: run.id, threadId: thread.id, status: 'COMPLETED' },
    ]);

    const { client: intruder } = await connect({ userId: newUserId('intruder') });
    for (const [runId, code] of [[run.id, 'NOT_FOUND'], ['run_nope', 'INVALID_ID'], [`${thread.id}_run_1757372479002_0badf00d`, 'NOT_FOUND']] as const) {
      const refused = collect(runId.endsWith('0badf00d') ? client : intruder, RUN_UPDATED, { runId });
      await refused.done;
      expect(refused.errors.map((e) => e.extensions?.code), runId).toEqual([code]);
    }
    sub.stop();
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(before));
  });

  it('answers a subscription sent over HTTP with a clear error', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const response = await app.gql(owner, MESSAGE_ADDED, { threadId: thread.id });
    expect(JSON.stringify(response)).toContain('graphql-transport-ws');
  });
});

describe('realtime per-user limits', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { WS_MAX_CONNECTIONS_PER_USER: '2', WS_MAX_SUBSCRIPTIONS_PER_USER: '3' } });
  });
  afterAll(() => app.stop());

  it('closes a connection over the per-user limit with 4008 and a reason; others are unaffected', async () => {
    const user = newUserId();
    const open = [await connectAs(app.url, { userId: user }), await connectAs(app.url, { userId: user })];
    await Promise.all(open.map((socket) => socket.acknowledged));
    const third = await connectAs(app.url, { userId: user });
    expect(await third.closed).toEqual({ code: 4008, reason: 'Too many connections: at most 2 per user' });
    const someoneElse = await connectAs(app.url, { userId: newUserId() });
    await someoneElse.acknowledged;

    // A closed connection frees its place.
    open[0]!.client.dispose();
    await open[0]!.closed;
    await vi.waitFor(async () => {
      const again = await connectAs(app.url, { userId: user });
      await Promise.race([again.acknowledged, again.closed.then(() => Promise.reject(new Error('refused')))]);
      open.push(again);
    });
    await Promise.all([...open, someoneElse].map(({ client }) => client.dispose()));
  });

  it('refuses a subscription over the per-user limit with LIMIT_EXCEEDED and registers nothing', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const { client } = await connectAs(app.url, { userId: user });
    const subs = [0, 1, 2].map(() => collect(client, MESSAGE_ADDED, { threadId: thread.id }));
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(3));
    const refused = collect(client, MESSAGE_ADDED, { threadId: thread.id });
    await refused.done;
    expect(refused.errors.map((e) => e.extensions?.code)).toEqual(['LIMIT_EXCEEDED']);
    expect(refused.errors[0]?.message).toContain('at most 3 per user');
    expect(app.realtime.subscriptions).toBe(3);
    subs[0]!.stop();
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(2));
    const admitted = collect(client, MESSAGE_ADDED, { threadId: thread.id });
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(3));
    [...subs, admitted].forEach((sub) => sub.stop());
    await client.dispose();
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(0));
  });
});

describe('realtime keep-alive', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ env: { WS_KEEPALIVE_MS: '150' } });
  });
  afterAll(() => app.stop());

  it('drops a socket whose peer stopped answering pings, with its subscriptions, and keeps live ones', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const silent = await connectAs(app.url, { userId: user }, { webSocketImpl: UnresponsiveWebSocket });
    const live = await connectAs(app.url, { userId: user });
    collect(silent.client, MESSAGE_ADDED, { threadId: thread.id });
    const kept = collect(live.client, MESSAGE_ADDED, { threadId: thread.id });
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(2));
    // Pinged at 150 ms, terminated when no pong came 150 ms later.
    await vi.waitFor(() => expect([app.realtime.sockets, app.realtime.subscriptions]).toEqual([1, 1]), { timeout: 3_000 });
    expect((await silent.closed).code).toBe(1006);
    expectData(await app.gql(user, SEND, { input: { threadId: thread.id, content: 'still delivered' } }));
    expect((await kept.received(1))[0].messageAdded.content).toBe('still delivered');
    await live.client.dispose();
  });
});
