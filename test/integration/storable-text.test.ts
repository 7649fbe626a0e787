import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Message } from '../../src/domain/message.js';
import type { Run } from '../../src/domain/run.js';
import type { Thread } from '../../src/domain/thread.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import { captureLog, type CapturedLog } from '../support/captured-log.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { threadFootprint } from '../support/thread-footprint.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs } from '../support/ws-client.js';

// Text that no tier can store (a lone UTF-16 surrogate, a real NUL) is refused before anything is
// acknowledged, whatever field carries it and whichever path would write it; text that merely
// looks like an escape (the six characters \u0000) is ordinary text and is kept as it is.
const LONE_SURROGATE = 'a\ud800b';
const NUL = 'a\u0000b';
const LOOKS_LIKE_NUL = 'a\\u0000b';

describe('unstorable text is refused before the ack and changes nothing', () => {
  let app: TestApp;
  let redis: Redis;
  let captured: CapturedLog;
  let user: string;
  let thread: Thread;
  let run: Run;
  let streaming: Message;

  beforeAll(async () => {
    captured = captureLog();
    app = await startTestApp({ log: captured.log });
    redis = new Redis(inject('redisUrl'));
    user = newUserId();
    thread = await seed(app.db).thread(user, { title: 'kept' });
    run = await seed(app.db).run(thread.id);
    const started = await app.gql(user, 'mutation($t: ID!) { startMessage(input: { threadId: $t }) { id } }', { t: thread.id });
    streaming = expectData(started).startMessage;
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
  });

  const footprint = () => threadFootprint(app.db, redis, user, thread.id);

  type Case = [what: string, query: string, variables: (bad: string) => Record<string, unknown>];
  const send = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq } }';
  const cases: Case[] = [
    ['sendMessage content (FAST)', send, (bad) => ({ input: { threadId: thread.id, content: bad } })],
    ['sendMessage content (DURABLE)', send, (bad) => ({ input: { threadId: thread.id, content: bad, durability: 'DURABLE' } })],
    ['sendMessage metadata value', send, (bad) => ({ input: { threadId: thread.id, content: 'ok', metadata: { nested: [{ note: bad }] } } })],
    ['sendMessage metadata key', send, (bad) => ({ input: { threadId: thread.id, content: 'ok', metadata: { [bad]: 1 } } })],
    ['sendMessage clientMessageId', send, (bad) => ({ input: { threadId: thread.id, content: 'ok', clientMessageId: bad } })],
    ['startMessage metadata', 'mutation($input: StartMessageInput!) { startMessage(input: $input) { id } }', (bad) => ({ input: { threadId: thread.id, metadata: { a: bad } } })],
    ['appendMessageDelta delta', 'mutation($input: AppendMessageDeltaInput!) { appendMessageDelta(input: $input) { id } }', (bad) => ({ input: { id: streaming.id, delta: bad } })],
    ['createThread title', 'mutation($input: CreateThreadInput) { createThread(input: $input) { id } }', (bad) => ({ input: { title: bad } })],
    ['createThread metadata', 'mutation($input: CreateThreadInput) { createThread(input: $input) { id } }', (bad) => ({ input: { metadata: { a: bad } } })],
    ['updateThread title', 'mutation($input: UpdateThreadInput!) { updateThread(input: $input) { id } }', (bad) => ({ input: { id: thread.id, title: bad } })],
    ['updateThread metadata', 'mutation($input: UpdateThreadInput!) { updateThread(input: $input) { id } }', (bad) => ({ input: { id: thread.id, metadata: { [bad]: bad } } })],
    ['startRun metadata', 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }', (bad) => ({ input: { threadId: thread.id, metadata: { a: bad } } })],
    ['updateRunStatus error', 'mutation($input: UpdateRunStatusInput!) { updateRunStatus(input: $input) { id } }', (bad) => ({ input: { id: run.id, status: 'FAILED', error: bad } })],
  ];

  describe.each([
    ['a lone surrogate', LONE_SURROGATE],
    ['a NUL character', NUL],
  ])('%s', (_kind, bad) => {
    it.each(cases)('in %s: BAD_USER_INPUT naming the variable, nothing stored anywhere', async (_what, query, variables) => {
      const before = await footprint();
      const error = expectError(await app.gql(user, query, variables(bad)), 'BAD_USER_INPUT');
      expect(error.message).toContain('Variable "$input"');
      expect(error.message).toContain('well-formed Unicode');
      expect(await footprint()).toEqual(before);
    });
  });

  it('a NUL written as an escape in a string literal is refused too', async () => {
    const before = await footprint();
    const error = expectError(await app.gql(user, `mutation { createThread(input: { title: "a\\u0000b" }) { id } }`), 'BAD_USER_INPUT');
    expect(error.message).toContain('String literal');
    expect(await footprint()).toEqual(before);
  });

  it('the next message after refusals takes the next seq: nothing was sequenced for them', async () => {
    const before = Number(await redis.hget(threadKeys(thread.id).meta, 'seq'));
    const sent = expectData(await app.gql(user, send, { input: { threadId: thread.id, content: 'after the refusals' } }));
    expect(sent.sendMessage.seq).toBe(before + 1);
  });

  it('the six characters \\u0000 are ordinary text: accepted and kept as they are, in content and metadata', async () => {
    const sent = expectData(
      await app.gql(user, send, { input: { threadId: thread.id, content: LOOKS_LIKE_NUL, metadata: { [LOOKS_LIKE_NUL]: LOOKS_LIKE_NUL }, durability: 'DURABLE' } }),
    );
    const row = await app.db.selectFrom('messages').selectAll().where('id', '=', sent.sendMessage.id).executeTakeFirstOrThrow();
    expect(row.content).toBe(LOOKS_LIKE_NUL);
    expect(row.metadata).toEqual({ [LOOKS_LIKE_NUL]: LOOKS_LIKE_NUL });
  });

  it('over WebSocket the operation fails with BAD_USER_INPUT and the socket stays open', async () => {
    const socket = await connectAs(app.url, { userId: user });
    try {
      const refused = collect(socket.client, 'subscription($t: ID!) { messageAdded(threadId: $t) { id } }', { t: `${thread.id}\u0000` });
      await refused.done;
      expect(refused.errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      const live = collect(socket.client, 'subscription($t: ID!) { messageAdded(threadId: $t) { content } }', { t: thread.id });
      await expect.poll(() => app.realtime.subscriptions).toBe(1);
      expectData(await app.gql(user, send, { input: { threadId: thread.id, content: 'still here' } }));
      expect(await live.received(1)).toEqual([{ messageAdded: { content: 'still here' } }]);
      live.stop();
    } finally {
      await socket.client.dispose();
    }
  });

  it('none of these client mistakes was logged as a server error', () => {
    expect(captured.errors()).toEqual([]);
  });
});

describe('unstorable text without Redis (every write on the Postgres path)', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: { DISABLE_REDIS: 'true' } });
  });
  afterAll(() => app?.stop());

  it('is refused: Postgres would have stored a lone surrogate as U+FFFD, silently changing the text', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const before = await ownerRows(app.db, user);
    const response = await app.gql(user, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', {
      input: { threadId: thread.id, content: LONE_SURROGATE },
    });
    expectError(response, 'BAD_USER_INPUT');
    expect(await ownerRows(app.db, user)).toEqual(before);
  });
});
