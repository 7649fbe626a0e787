import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { z } from 'zod';
import type { MessagePart } from '../../src/domain/message-parts.js';
import type { Thread } from '../../src/domain/thread.js';
import { ids } from '../../src/ids/generate-ids.js';
import { insertMessageWithNextSeq } from '../../src/repositories/messages-repository.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import { createHotTier } from '../../src/storage/hot-tier.js';
import { captureLog, type CapturedLog } from '../support/captured-log.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { threadFootprint } from '../support/thread-footprint.js';
import { PARTS_SELECTION as PARTS } from '../support/parts-selection.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs } from '../support/ws-client.js';

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq role content ${PARTS} } }`;
const PAGE = `query($id: ID!) { thread(id: $id) { messages(first: 50) { edges { node { seq role content ${PARTS} } } } } }`;
const PINO_INFO = 30;

/** The five kinds, as an assistant's turn: it thinks, says, calls a tool and shows a file. */
const ASSISTANT_TURN = [
  { reasoning: 'The user wants the weather; ask the tool.' },
  { text: 'Let me check. ' },
  { toolCall: { callId: 'call_weather_1', name: 'weather', arguments: { city: 'Oslo', units: ['C'] } } },
  { text: 'Here is a map.' },
  { file: { uri: 'https://files.example/oslo.png', mediaType: 'image/png', name: 'oslo.png', sizeBytes: 2048 } },
];
const ASSISTANT_PARTS = [
  { __typename: 'ReasoningPart', text: 'The user wants the weather; ask the tool.' },
  { __typename: 'TextPart', text: 'Let me check. ' },
  { __typename: 'ToolCallPart', callId: 'call_weather_1', name: 'weather', arguments: { city: 'Oslo', units: ['C'] } },
  { __typename: 'TextPart', text: 'Here is a map.' },
  { __typename: 'FilePart', uri: 'https://files.example/oslo.png', mediaType: 'image/png', name: 'oslo.png', sizeBytes: 2048 },
];
const RESULT_PARTS = [{ __typename: 'ToolResultPart', callId: 'call_weather_1', output: { celsius: -3 }, isError: false }];

describe('structured messages: parts of every kind, through every tier', () => {
  let app: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    app = await startTestApp();
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
  });

  it('a tool-call round trip reads back the same from the ack, live, the Redis window, Postgres and a cold read; ClickHouse counts kinds and tools', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const subscriber = await connectAs(app.url, { userId: user });
    const live = collect(subscriber.client, `subscription($id: ID!) { messageAdded(threadId: $id) { seq content ${PARTS} } }`, { id: thread.id });
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBeGreaterThan(0));

    const turn = expectData(await app.gql(user, SEND, { input: { threadId: thread.id, role: 'ASSISTANT', parts: ASSISTANT_TURN } })).sendMessage;
    expect(turn).toMatchObject({ seq: 1, role: 'ASSISTANT', content: 'Let me check. Here is a map.', parts: ASSISTANT_PARTS });
    const result = { toolResult: { callId: 'call_weather_1', output: { celsius: -3 } } };
    const answer = expectData(await app.gql(user, SEND, { input: { threadId: thread.id, role: 'TOOL', parts: [result] } })).sendMessage;
    expect(answer).toMatchObject({ seq: 2, role: 'TOOL', content: '', parts: RESULT_PARTS });
    const plain = expectData(await app.gql(user, SEND, { input: { threadId: thread.id, content: 'Thanks!' } })).sendMessage;
    // A TOOL message sent as content (a tool's output as text, as before structured messages) still works.
    const legacy = expectData(await app.gql(user, SEND, { input: { threadId: thread.id, role: 'TOOL', content: 'sunny' } })).sendMessage;
    expect(legacy.parts).toEqual([{ __typename: 'TextPart', text: 'sunny' }]);
    expect(plain.parts).toEqual([{ __typename: 'TextPart', text: 'Thanks!' }]);

    const expected = [
      { seq: 1, role: 'ASSISTANT', content: 'Let me check. Here is a map.', parts: ASSISTANT_PARTS },
      { seq: 2, role: 'TOOL', content: '', parts: RESULT_PARTS },
      { seq: 3, role: 'USER', content: 'Thanks!', parts: [{ __typename: 'TextPart', text: 'Thanks!' }] },
      { seq: 4, role: 'TOOL', content: 'sunny', parts: [{ __typename: 'TextPart', text: 'sunny' }] },
    ];
    expect((await live.received(4)).map((event) => event.messageAdded)).toEqual(expected.map(({ role: _role, ...rest }) => rest));
    const hotPage = expectData(await app.gql(user, PAGE, { id: thread.id })).thread.messages.edges.map((edge: any) => edge.node);
    expect(hotPage).toEqual(expected);

    // Postgres keeps parts as JSONB, and a plain-text message as NULL (it reads as one text part).
    await vi.waitFor(async () => {
      const rows = await app.db.selectFrom('messages').select(['seq', 'parts']).where('thread_id', '=', thread.id).orderBy('seq').execute();
      expect(rows.map((row) => row.parts?.map((part: MessagePart) => part.type) ?? null)).toEqual([
        ['reasoning', 'text', 'toolCall', 'text', 'file'], ['toolResult'], null, null,
      ]);
    }, { timeout: 10_000, interval: 50 });
    const cold = await startTestApp({ env: { DISABLE_REDIS: 'true' } });
    try {
      expect(expectData(await cold.gql(user, PAGE, { id: thread.id })).thread.messages.edges.map((edge: any) => edge.node)).toEqual(expected);
    } finally {
      await cold.stop();
    }

    const archived = () => app.tiers.archive.client.query(
      'testMessageParts',
      'SELECT seq, part_types, tool_names FROM messages_archive FINAL WHERE thread_id = {thread:String} ORDER BY seq',
      { thread: thread.id },
      z.object({ seq: z.number(), part_types: z.array(z.string()), tool_names: z.array(z.string()) }),
    );
    await vi.waitFor(async () => {
      expect(await archived()).toEqual([
        { seq: 1, part_types: ['reasoning', 'text', 'toolCall', 'text', 'file'], tool_names: ['weather'] },
        { seq: 2, part_types: ['toolResult'], tool_names: [] },
        { seq: 3, part_types: ['text'], tool_names: [] },
        { seq: 4, part_types: ['text'], tool_names: [] },
      ]);
    }, { timeout: 15_000, interval: 100 });
    // Analytics counts the calls per tool: once each, though a message may be archived twice.
    const day = { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString() };
    const analytics = expectData(await app.gql(user, 'query($from: DateTime!, $to: DateTime!) { analytics(from: $from, to: $to) { toolCalls { name count } } }', day));
    expect(analytics.analytics.toolCalls).toEqual([{ name: 'weather', count: 1 }]);
    live.stop();
    await subscriber.client.dispose();
  });

  it('a thread with tool calls in Postgres only (never hot) learns them before judging a result', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const parts: MessagePart[] = [{ type: 'toolCall', callId: 'old_call', name: 'search', arguments: 'q' }];
    await app.db.transaction().execute((trx) => insertMessageWithNextSeq(trx, {
      id: ids.messageId(), threadId: thread.id, runId: null, role: 'ASSISTANT', content: '', parts, metadata: {}, clientMessageId: null, actor: null,
    }));
    const reuse = { input: { threadId: thread.id, role: 'ASSISTANT', parts: [{ toolCall: { callId: 'old_call', name: 'search', arguments: 1 } }] } };
    expect(expectError(await app.gql(user, SEND, reuse), 'BAD_USER_INPUT').message).toMatch(/old_call is already a toolCall of this thread/);
    const answer = { input: { threadId: thread.id, role: 'TOOL', parts: [{ toolResult: { callId: 'old_call', output: ['hit'] } }] } };
    expect(expectData(await app.gql(user, SEND, answer)).sendMessage.seq).toBe(2);
    expect(expectError(await app.gql(user, SEND, answer), 'BAD_USER_INPUT').message).toMatch(/old_call answers a toolCall that already has its result/);
  });

  it('after a re-seed (messages written around Redis), the index is rebuilt from Postgres rather than trusted', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    expectData(await app.gql(user, SEND, { input: { threadId: thread.id, role: 'ASSISTANT', parts: [{ toolCall: { callId: 'c1', name: 't', arguments: {} } }] } }));
    // What the outage path leaves: a result committed in Postgres that Redis never saw, then a re-seed.
    await vi.waitFor(async () => expect(await app.db.selectFrom('messages').select('id').where('thread_id', '=', thread.id).execute()).toHaveLength(1));
    const written = await app.db.transaction().execute((trx) => insertMessageWithNextSeq(trx, {
      id: ids.messageId(), threadId: thread.id, runId: null, role: 'TOOL', content: '', metadata: {}, clientMessageId: null, actor: null,
      parts: [{ type: 'toolResult', callId: 'c1', output: 'done', isError: false }],
    }));
    expect(written.seq).toBe(2);
    await createHotTier(redis, { windowSize: 200, ttlSeconds: 3_600 }).reseedThread(thread.id, written.seq);
    const again = { input: { threadId: thread.id, role: 'TOOL', parts: [{ toolResult: { callId: 'c1', output: 'twice' } }] } };
    expect(expectError(await app.gql(user, SEND, again), 'BAD_USER_INPUT').message).toMatch(/c1 answers a toolCall that already has its result/);
    expect(await redis.hget(threadKeys(thread.id).toolCalls, 'c1')).toBe('answered');
  });

  it('a retried tool result with its clientMessageId returns the first message instead of refusing it as answered', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    expectData(await app.gql(user, SEND, { input: { threadId: thread.id, role: 'ASSISTANT', parts: [{ toolCall: { callId: 'c1', name: 't', arguments: {} } }] } }));
    const input = { threadId: thread.id, role: 'TOOL', clientMessageId: 'result-c1', parts: [{ toolResult: { callId: 'c1', output: 1 } }] };
    const first = expectData(await app.gql(user, SEND, { input })).sendMessage;
    expect(expectData(await app.gql(user, SEND, { input })).sendMessage.id).toBe(first.id);
  });

  it('concurrent results for one call: exactly one is acked', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    expectData(await app.gql(user, SEND, { input: { threadId: thread.id, role: 'ASSISTANT', parts: [{ toolCall: { callId: 'race', name: 't', arguments: {} } }] } }));
    const responses = await Promise.all(Array.from({ length: 8 }, (_, n) =>
      app.gql(user, SEND, { input: { threadId: thread.id, role: 'TOOL', parts: [{ toolResult: { callId: 'race', output: n } }] } })));
    expect(responses.filter((response) => !response.errors)).toHaveLength(1);
    expect(responses.filter((response) => response.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT')).toHaveLength(7);
  });
});

describe.each([
  ['the fast path (Redis)', {}],
  ['the Postgres path (no Redis)', { DISABLE_REDIS: 'true' }],
])('message part rules on %s: refused with BAD_USER_INPUT before the ack, changing nothing', (_path, env) => {
  let app: TestApp;
  let redis: Redis;
  let captured: CapturedLog;
  let user: string;
  let thread: Thread;

  beforeAll(async () => {
    captured = captureLog();
    app = await startTestApp({ env, log: captured.log });
    redis = new Redis(inject('redisUrl'));
    user = newUserId();
    thread = await seed(app.db).thread(user);
    const opened = [{ toolCall: { callId: 'open_call', name: 'lookup', arguments: { q: 1 } } }, { toolCall: { callId: 'answered_call', name: 'lookup', arguments: {} } }];
    expectData(await app.gql(user, SEND, { input: { threadId: thread.id, role: 'ASSISTANT', parts: opened } }));
    expectData(await app.gql(user, SEND, { input: { threadId: thread.id, role: 'TOOL', parts: [{ toolResult: { callId: 'answered_call', output: 'ok' } }] } }));
    // Persisted before the footprints are taken, so the persister's own writes are not counted as the refusal's.
    await vi.waitFor(async () => expect((await ownerRows(app.db, user)).messages).toHaveLength(2), { timeout: 10_000, interval: 50 });
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
  });

  const footprint = () => threadFootprint(app.db, redis, user, thread.id);

  const deep = (levels: number): unknown => (levels === 0 ? 'leaf' : { next: deep(levels - 1) });
  const cases: Array<[what: string, input: () => Record<string, unknown>, message: RegExp]> = [
    ['both content and parts', () => ({ content: 'x', parts: [{ text: 'x' }] }), /exactly one of content and parts/],
    ['neither content nor parts', () => ({}), /exactly one of content and parts/],
    ['no parts at all', () => ({ parts: [] }), /at least one part/],
    ['a part with two kinds (@oneOf)', () => ({ parts: [{ text: 'a', reasoning: 'b' }] }), /Exactly one key must be specified for OneOf type "MessagePartInput"/],
    ['a TOOL message with a text part', () => ({ role: 'TOOL', parts: [{ text: 'hi' }, { toolResult: { callId: 'open_call', output: 1 } }] }), /TOOL message carries only toolResult/],
    ['a result for a call the thread never made', () => ({ role: 'TOOL', parts: [{ toolResult: { callId: 'nobody_called', output: 1 } }] }), /nobody_called answers no toolCall/],
    ['a second result for an answered call', () => ({ role: 'TOOL', parts: [{ toolResult: { callId: 'answered_call', output: 2 } }] }), /answered_call answers a toolCall that already has its result/],
    ['a callId the thread already used', () => ({ role: 'ASSISTANT', parts: [{ toolCall: { callId: 'open_call', name: 'again', arguments: {} } }] }), /open_call is already a toolCall/],
    ['one callId twice in a message', () => ({ role: 'ASSISTANT', parts: [1, 2].map(() => ({ toolCall: { callId: 'twin', name: 't', arguments: {} } })) }), /twin appears twice/],
    ['a call answered in its own message', () => ({ role: 'ASSISTANT', parts: [{ toolCall: { callId: 'self', name: 't', arguments: {} } }, { toolResult: { callId: 'self', output: 1 } }] }), /answers a toolCall of the same message/],
    ['a callId with a space', () => ({ role: 'ASSISTANT', parts: [{ toolCall: { callId: 'a b', name: 't', arguments: {} } }] }), /callId must be 1 to 200 printable ASCII/],
    ['arguments nested deeper than metadata may be', () => ({ role: 'ASSISTANT', parts: [{ toolCall: { callId: 'deep', name: 't', arguments: deep(20) } }] }), /arguments is nested deeper than 16/],
    ['an output over the metadata size', () => ({ role: 'TOOL', parts: [{ toolResult: { callId: 'open_call', output: 'x'.repeat(20_000) } }] }), /output is 20002 bytes as JSON; the limit is 16384/],
    ['a file inlined as a data: URI', () => ({ parts: [{ file: { uri: 'data:image/png;base64,AAAA', mediaType: 'image/png', name: 'a.png' } }] }), /file.uri must use one of the schemes https/],
    ['a file on a scheme not configured', () => ({ parts: [{ file: { uri: 'ftp://files.example/a.png', mediaType: 'image/png', name: 'a.png' } }] }), /file.uri must use one of the schemes https/],
    ['a tool name over 200 characters', () => ({ role: 'ASSISTANT', parts: [{ toolCall: { callId: 'long', name: 'n'.repeat(201), arguments: {} } }] }), /toolCall.name: Too big: expected string to have <=200 characters/],
    ['a file name over 1,000 characters', () => ({ parts: [{ file: { uri: 'https://files.example/a', mediaType: 'image/png', name: 'f'.repeat(1_001) } }] }), /file.name: Too big: expected string to have <=1000 characters/],
    ['a file URI over 2,048 characters', () => ({ parts: [{ file: { uri: `https://files.example/${'u'.repeat(2_048)}`, mediaType: 'image/png', name: 'a' } }] }), /file.uri: Too big: expected string to have <=2048 characters/],
    ['a file with a media type that is none', () => ({ parts: [{ file: { uri: 'https://files.example/a', mediaType: 'png', name: 'a' } }] }), /mediaType must be a media type/],
    ['more parts than MAX_MESSAGE_PARTS (100)', () => ({ parts: Array.from({ length: 101 }, () => ({ text: 'y' })) }), /A message holds at most 100 parts, not 101/],
    ['parts over MAX_MESSAGE_BYTES as a whole', () => ({ parts: Array.from({ length: 5 }, () => ({ text: 'y'.repeat(15_000) })) }), /Message parts are \d+ bytes as JSON; the limit is 65536/],
  ];

  it.each(cases)('%s', async (_what, input, message) => {
    const before = await footprint();
    captured.lines.splice(0);
    const response = await app.gql(user, SEND, { input: { threadId: thread.id, ...input() } });
    expect(response.errors?.[0]?.extensions?.code, JSON.stringify(response)).toBe('BAD_USER_INPUT');
    expect(response.errors?.[0]?.message).toMatch(message);
    expect(response.data?.sendMessage ?? null).toBeNull();
    expect(await footprint()).toEqual(before);
    expect(captured.lines.filter((line) => line.level > PINO_INFO)).toEqual([]);
  });

  it('MAX_MESSAGE_PARTS parts are accepted', async () => {
    const parts = Array.from({ length: 100 }, (_, i) => ({ text: `part ${i}` }));
    const sent = expectData(await app.gql(user, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { parts { __typename } } }', { input: { threadId: thread.id, parts } })).sendMessage;
    expect(sent.parts).toHaveLength(100);
    // Stored before the next test takes its footprint.
    expect(await app.messageStore.awaitPersisted(10_000)).toBe(true);
  });

  it('a part with two kinds written as a literal is refused before anything runs', async () => {
    const before = await footprint();
    const literal = `mutation { sendMessage(input: { threadId: "${thread.id}", parts: [{ text: "a", reasoning: "b" }] }) { id } }`;
    expectError(await app.gql(user, literal), 'GRAPHQL_VALIDATION_FAILED');
    expect(await footprint()).toEqual(before);
  });

  it('the open call still takes its result afterwards', async () => {
    const response = await app.gql(user, SEND, { input: { threadId: thread.id, role: 'TOOL', parts: [{ toolResult: { callId: 'open_call', output: 'late', isError: true } }] } });
    expect(expectData(response).sendMessage.parts).toEqual([{ __typename: 'ToolResultPart', callId: 'open_call', output: 'late', isError: true }]);
  });
});

const START = `mutation($input: StartMessageInput!) { startMessage(input: $input) { id seq status content ${PARTS} } }`;
const APPEND = `mutation($input: AppendMessageDeltaInput!) { appendMessageDelta(input: $input) { status content ${PARTS} } }`;
const COMPLETE = `mutation($id: ID!) { completeMessage(id: $id) { status content ${PARTS} } }`;

describe.each([
  ['the fast path (Redis)', {}],
  ['the Postgres path (no Redis)', { DISABLE_REDIS: 'true' }],
])('streaming by part on %s', (path, env) => {
  let app: TestApp;
  let user: string;
  let thread: Thread;

  beforeAll(async () => {
    app = await startTestApp({ env });
    user = newUserId();
    thread = await seed(app.db).thread(user);
  });
  afterAll(() => app?.stop());

  const start = async (parts: unknown[]) => expectData(await app.gql(user, START, { input: { threadId: thread.id, parts } })).startMessage;
  const append = (id: string, partIndex: number, delta: string) => app.gql(user, APPEND, { input: { id, partIndex, delta } });

  it('deltas grow the part they name: reasoning, text, and tool-call arguments parsed as JSON at completion', async () => {
    // Without Redis there is no live fan-out to watch.
    const subscriber = !('DISABLE_REDIS' in env) ? await connectAs(app.url, { userId: user }) : null;
    const live = subscriber && collect(subscriber.client, 'subscription($id: ID!) { threadEvents(threadId: $id) { __typename ... on MessageDelta { index partIndex delta } } }', { id: thread.id });
    if (live) await vi.waitFor(() => expect(app.realtime.subscriptions).toBeGreaterThan(0));

    const call = { callId: `call_${path.length}_stream`, name: 'weather' };
    const started = await start([{ reasoning: '' }, { text: '' }, { toolCall: { ...call, arguments: '' } }]);
    expect(started.status).toBe('IN_PROGRESS');
    let sofar: any;
    for (const [partIndex, delta] of [[0, 'Cold there?'], [1, 'Checking '], [2, '{"city":'], [1, 'Oslo.'], [2, '"Oslo"}']] as const) {
      sofar = expectData(await append(started.id, partIndex, delta)).appendMessageDelta;
    }
    expect(sofar.content).toBe('Checking Oslo.');
    expect(sofar.parts[2]).toEqual({ __typename: 'ToolCallPart', ...call, arguments: '{"city":"Oslo"}' });
    const done = expectData(await app.gql(user, COMPLETE, { id: started.id })).completeMessage;
    expect(done).toEqual({
      status: 'COMPLETED',
      content: 'Checking Oslo.',
      parts: [
        { __typename: 'ReasoningPart', text: 'Cold there?' },
        { __typename: 'TextPart', text: 'Checking Oslo.' },
        { __typename: 'ToolCallPart', ...call, arguments: { city: 'Oslo' } },
      ],
    });
    // The streamed call is a call of the thread like any other: its result is accepted once.
    const result = { input: { threadId: thread.id, role: 'TOOL', parts: [{ toolResult: { callId: call.callId, output: -3 } }] } };
    expectData(await app.gql(user, SEND, result));
    expectError(await app.gql(user, SEND, result), 'BAD_USER_INPUT');

    if (live) {
      const deltas = (await live.received(8)).filter((event) => event.threadEvents.__typename === 'MessageDelta').map((event) => event.threadEvents);
      expect(deltas.map(({ index, partIndex, delta }) => [index, partIndex, delta])).toEqual([
        [0, 0, 'Cold there?'], [1, 1, 'Checking '], [2, 2, '{"city":'], [3, 1, 'Oslo.'], [4, 2, '"Oslo"}'],
      ]);
      live.stop();
      await subscriber!.client.dispose();
    }
    await vi.waitFor(async () => {
      const row = await app.db.selectFrom('messages').select(['status', 'content', 'parts']).where('id', '=', started.id).executeTakeFirst();
      expect(row).toEqual({ status: 'COMPLETED', content: 'Checking Oslo.', parts: [
        { type: 'reasoning', text: 'Cold there?' }, { type: 'text', text: 'Checking Oslo.' }, { type: 'toolCall', ...call, arguments: { city: 'Oslo' } },
      ] });
    }, { timeout: 10_000, interval: 50 });
  });

  it('refuses a delta for a part past the end, for a part that does not stream, and for part 1 of a message without parts', async () => {
    const started = await start([{ text: 'see ' }, { file: { uri: 'https://files.example/a.png', mediaType: 'image/png', name: 'a.png' } }]);
    expect(expectError(await append(started.id, 2, 'x'), 'BAD_USER_INPUT').message).toMatch(/partIndex 2 is past the message's 2 part/);
    expect(expectError(await append(started.id, 1, 'x'), 'BAD_USER_INPUT').message).toMatch(/Part 1 takes no deltas/);
    const plain = expectData(await app.gql(user, START, { input: { threadId: thread.id } })).startMessage;
    expect(expectError(await append(plain.id, 1, 'x'), 'BAD_USER_INPUT').message).toMatch(/partIndex 1 is past the message's 1 part/);
    expect(expectData(await append(plain.id, 0, 'fine')).appendMessageDelta.content).toBe('fine');
    const done = expectData(await app.gql(user, COMPLETE, { id: started.id })).completeMessage;
    expect(done.content).toBe('see ');
  });

  it('arguments that are no JSON refuse the completion and keep the message open for the rest', async () => {
    const started = await start([{ toolCall: { callId: `call_${path.length}_broken`, name: 'f', arguments: '{"a":' } }]);
    expectData(await append(started.id, 0, '1'));
    expect(expectError(await app.gql(user, COMPLETE, { id: started.id }), 'BAD_USER_INPUT').message).toMatch(/streamed arguments are not JSON text/);
    expectData(await append(started.id, 0, '}'));
    expect(expectData(await app.gql(user, COMPLETE, { id: started.id })).completeMessage.parts[0].arguments).toEqual({ a: 1 });
  });

  it('the size limit covers the parts it started with and every delta', async () => {
    const started = await start([{ text: 'x'.repeat(60_000) }, { reasoning: '' }]);
    expectData(await append(started.id, 1, 'y'.repeat(5_000)));
    expect(expectError(await append(started.id, 1, 'y'.repeat(1_000)), 'BAD_USER_INPUT').message).toMatch(/exceed 65536 bytes|limit is 65536/);
    const done = expectData(await app.gql(user, COMPLETE, { id: started.id })).completeMessage;
    expect(done.parts[1].text).toHaveLength(5_000);
  });
});
