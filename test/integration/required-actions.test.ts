import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../src/domain/run.js';
import type { RunId, ThreadId } from '../../src/ids/id-types.js';
import { ids } from '../../src/ids/generate-ids.js';
import { insertMessageWithNextSeq } from '../../src/repositories/messages-repository.js';
import { waitUntilPersisted } from '../../src/storage/persisted-barrier.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { PARTS_SELECTION as PARTS } from '../support/parts-selection.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { seed } from '../support/seed.js';
import { waitFor } from '../support/stored-messages.js';
import { startTestPersister, type TestPersister } from '../support/test-persister.js';
import { threadFootprint } from '../support/thread-footprint.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, subscriptionsHeld, type SocketClient } from '../support/ws-client.js';
import { redisUrlOf } from '../support/redis-databases.js';

/** A Redis database of this file's own: the server runs without workers, and no other file's persister may drain its stream. */

const RUN = 'id status requiredAction { toolCalls { callId name arguments } }';
const START_RUN = `mutation($threadId: ID!) { startRun(input: { threadId: $threadId }) { id } }`;
const UPDATE_RUN = `mutation($id: ID!, $status: RunStatus!) { updateRunStatus(input: { id: $id, status: $status }) { ${RUN} } }`;
const READ_RUN = `query($id: ID!) { run(id: $id) { ${RUN} } }`;
const SUBMIT = `mutation($input: SubmitToolResultsInput!) { submitToolResults(input: $input) { ${RUN} } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq durability } }`;
const PAGE = `query($id: ID!) { thread(id: $id) { messages(last: 50) { edges { node { seq role runId ${PARTS} } } } } }`;
const THREAD_EVENTS = `subscription($threadId: ID!) {
  threadEvents(threadId: $threadId) {
    __typename
    ... on MessageAdded { message { role runId ${PARTS} } }
    ... on RunStatusChanged { run { id status requiredAction { toolCalls { callId } } } }
  }
}`;

const call = (callId: string, name = 'lookup') => ({ toolCall: { callId, name, arguments: { q: callId } } });
const result = (callId: string, output: unknown = `out:${callId}`) => ({ callId, output });

function scenario(appOf: () => TestApp) {
  const gql = (user: string, query: string, variables: Record<string, unknown>) => appOf().gql(user, query, variables);
  const send = async (user: string, input: Record<string, unknown>) => expectData(await gql(user, SEND, { input })).sendMessage;
  const setStatus = async (user: string, id: string, status: RunStatus) => expectData(await gql(user, UPDATE_RUN, { id, status })).updateRunStatus;
  const submit = (user: string, runId: string, results: unknown[]) => gql(user, SUBMIT, { input: { runId, results } });
  const readRun = async (user: string, id: string) => expectData(await gql(user, READ_RUN, { id })).run;
  const page = async (user: string, threadId: string) => expectData(await gql(user, PAGE, { id: threadId })).thread.messages.edges.map((edge: { node: unknown }) => edge.node);

  /** A thread with an IN_PROGRESS run started through the API, so the fast path knows of the run. */
  async function workingRun(user = newUserId()) {
    const thread = await seed(appOf().db).thread(user);
    const runId: string = expectData(await gql(user, START_RUN, { threadId: thread.id })).startRun.id;
    await setStatus(user, runId, 'IN_PROGRESS');
    return { user, threadId: thread.id as ThreadId, runId };
  }
  return { send, setStatus, submit, readRun, page, workingRun };
}

describe('required actions on the fast path (FAST sends acked from Redis)', () => {
  let app: TestApp;
  let redis: Redis;
  const persisters: TestPersister[] = [];
  const clients: SocketClient[] = [];
  const redisUrl = () => redisUrlOf('requiredActions');
  const { send, setStatus, submit, readRun, page, workingRun } = scenario(() => app);

  beforeAll(async () => {
    app = await startTestApp({ env: { REDIS_URL: redisUrl(), RUN_WORKERS_IN_PROCESS: 'false' } });
    redis = new Redis(redisUrl());
  });
  afterEach(async () => {
    await Promise.all(persisters.splice(0).map((persister) => persister.stop()));
  });
  afterAll(async () => {
    await Promise.all(clients.map(({ client }) => client.dispose()));
    redis.disconnect();
    await app.stop();
  });

  /** Drains the persistence stream into Postgres, then stops, so later FAST sends stay in Redis only. */
  async function persistAll(): Promise<void> {
    const persister = await startTestPersister(redisUrl(), app.db, `required-actions-${persisters.length}`);
    expect(await waitUntilPersisted(redis, 20_000)).toBe(true);
    await persister.stop();
  }
  const messageRows = (threadId: string) =>
    app.db.selectFrom('messages').select(['seq', 'role', 'run_id', 'parts']).where('thread_id', '=', threadId).orderBy('seq').execute();

  it('call → REQUIRES_ACTION → requiredAction (FAST calls included) → submit → IN_PROGRESS → COMPLETED, live', async () => {
    const { user, threadId, runId } = await workingRun();
    const other = await workingRun(user);
    await send(user, { threadId, runId, role: 'ASSISTANT', parts: [{ text: 'Looking up. ' }, call('persisted_call'), call('answered_call')] });
    await send(user, { threadId, role: 'TOOL', parts: [{ toolResult: result('answered_call') }] });
    await persistAll();
    // Acked from Redis a moment ago, not in Postgres: the run's second call, and another run's call.
    const fast = await send(user, { threadId, runId, role: 'ASSISTANT', parts: [call('fast_call', 'search')] });
    expect(fast.durability).toBe('HOT');
    await send(user, { threadId: other.threadId, runId: other.runId, role: 'ASSISTANT', parts: [call('other_run_call')] });
    expect((await messageRows(threadId)).map((row) => row.seq)).toEqual([1, 2]);

    expect((await readRun(user, runId)).requiredAction).toBeNull();
    const connected = await connectAs(app.url, { userId: user });
    clients.push(connected);
    const events = collect(connected.client, THREAD_EVENTS, { threadId });
    await subscriptionsHeld(app, 1);

    const waiting = await setStatus(user, runId, 'REQUIRES_ACTION');
    const open = [
      { callId: 'persisted_call', name: 'lookup', arguments: { q: 'persisted_call' } },
      { callId: 'fast_call', name: 'search', arguments: { q: 'fast_call' } },
    ];
    expect(waiting.requiredAction).toEqual({ toolCalls: open });
    expect((await readRun(user, runId)).requiredAction).toEqual({ toolCalls: open });
    // A subscriber learns of the required action live, with the calls to answer.
    expect(await events.received(1)).toEqual([
      { threadEvents: { __typename: 'RunStatusChanged', run: { id: runId, status: 'REQUIRES_ACTION', requiredAction: { toolCalls: open.map(({ callId }) => ({ callId })) } } } },
    ]);

    const submitted = expectData(await submit(user, runId, [result('fast_call', { hits: 3 }), { ...result('persisted_call'), isError: true }])).submitToolResults;
    expect(submitted).toEqual({ id: runId, status: 'IN_PROGRESS', requiredAction: null });

    const toolMessage = {
      role: 'TOOL',
      runId,
      parts: [
        { __typename: 'ToolResultPart', callId: 'fast_call', output: { hits: 3 }, isError: false },
        { __typename: 'ToolResultPart', callId: 'persisted_call', output: 'out:persisted_call', isError: true },
      ],
    };
    const live = (await events.received(3)).slice(1);
    expect(live).toEqual(
      expect.arrayContaining([
        { threadEvents: { __typename: 'MessageAdded', message: toolMessage } },
        { threadEvents: { __typename: 'RunStatusChanged', run: { id: runId, status: 'IN_PROGRESS', requiredAction: null } } },
      ]),
    );
    events.stop();
    expect((await page(user, threadId)).at(-1)).toEqual({ seq: 4, ...toolMessage });
    expect(await redis.hgetall(threadKeys(threadId).toolCalls)).toMatchObject({ persisted_call: 'answered', fast_call: 'answered' });

    // The calls are answered in every tier: a later FAST result for one is refused.
    const late = await app.gql(user, SEND, { input: { threadId, role: 'TOOL', parts: [{ toolResult: result('fast_call') }] } });
    expect(expectError(late, 'BAD_USER_INPUT').message).toMatch(/fast_call answers a toolCall that already has its result/);

    await persistAll();
    expect((await messageRows(threadId)).at(-1)).toEqual({
      seq: 4,
      role: 'TOOL',
      run_id: runId,
      parts: [
        { type: 'toolResult', callId: 'fast_call', output: { hits: 3 }, isError: false },
        { type: 'toolResult', callId: 'persisted_call', output: 'out:persisted_call', isError: true },
      ],
    });
    expect(await app.db.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow()).toEqual({ status: 'IN_PROGRESS' });

    await send(user, { threadId, runId, role: 'ASSISTANT', content: 'Found 3 hits.' });
    expect(await setStatus(user, runId, 'COMPLETED')).toEqual({ id: runId, status: 'COMPLETED', requiredAction: null });
  });

  describe('refusals change nothing in any tier', () => {
    let user: string;
    let threadId: ThreadId;
    let runId: string;

    beforeAll(async () => {
      ({ user, threadId, runId } = await workingRun());
      await send(user, { threadId, runId, role: 'ASSISTANT', parts: [call('open_a'), call('answered')] });
      await send(user, { threadId, role: 'TOOL', parts: [{ toolResult: result('answered') }] });
      await persistAll();
      await send(user, { threadId, runId, role: 'ASSISTANT', parts: [call('open_b')] });
      await setStatus(user, runId, 'REQUIRES_ACTION');
    });

    const footprint = () => threadFootprint(app.db, redis, user, threadId);

    const cases: Array<[what: string, results: () => unknown[], message: RegExp]> = [
      ['a partial submission', () => [result('open_a')], /leaves open tool calls unanswered: open_b/],
      ['an unknown callId', () => [result('open_a'), result('open_b'), result('nobody_called')], /nobody_called is no open tool call of this run/],
      ['an answered callId', () => [result('open_a'), result('open_b'), result('answered')], /answered is no open tool call of this run/],
      ['a callId twice', () => [result('open_a'), result('open_b'), result('open_a', 'again')], /open_a appears twice in the submission/],
      ['no results', () => [], /results/],
    ];

    it.each(cases)('%s is BAD_USER_INPUT', async (_what, results, message) => {
      const before = await footprint();
      expect(expectError(await submit(user, runId, results()), 'BAD_USER_INPUT').message).toMatch(message);
      expect(await footprint()).toEqual(before);
    });

    it('a run in another status is BAD_USER_INPUT', async () => {
      const other = await workingRun(user);
      const before = await footprint();
      expect(expectError(await submit(user, other.runId, [result('open_a'), result('open_b')]), 'BAD_USER_INPUT').message).toMatch(/is IN_PROGRESS, not REQUIRES_ACTION/);
      expect(await footprint()).toEqual(before);
    });

    it("another user's run is NOT_FOUND", async () => {
      const before = await footprint();
      expectError(await submit(newUserId('intruder'), runId, [result('open_a'), result('open_b')]), 'NOT_FOUND');
      expect(await footprint()).toEqual(before);
    });

    it('beside another field of its mutation operation, it is refused before anything runs', async () => {
      const before = await footprint();
      const both = `mutation($input: SubmitToolResultsInput!, $threadId: ID!) {
        submitToolResults(input: $input) { id }
        startRun(input: { threadId: $threadId }) { id }
      }`;
      const response = await app.gql(user, both, { input: { runId, results: [result('open_a'), result('open_b')] }, threadId });
      expect(response.errors?.[0]?.message).toMatch(/submitToolResults/);
      expect(response.data ?? null).toBeNull();
      expect(await footprint()).toEqual(before);
    });

    it('a run of an archived thread is BAD_USER_INPUT', async () => {
      const archived = await workingRun(user);
      await send(user, { threadId: archived.threadId, runId: archived.runId, role: 'ASSISTANT', parts: [call('archived_call')] });
      await setStatus(user, archived.runId, 'REQUIRES_ACTION');
      expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: archived.threadId }));
      const before = await threadFootprint(app.db, redis, user, archived.threadId);
      expect(expectError(await submit(user, archived.runId, [result('archived_call')]), 'BAD_USER_INPUT').message).toMatch(/is archived/);
      expect(await threadFootprint(app.db, redis, user, archived.threadId)).toEqual(before);
    });

    it('the run still takes the whole submission afterwards', async () => {
      expect(expectData(await submit(user, runId, [result('open_b'), result('open_a')])).submitToolResults.status).toBe('IN_PROGRESS');
    });
  });

  it('concurrent submissions for one run: exactly one succeeds, one TOOL message', async () => {
    const { user, threadId, runId } = await workingRun();
    await send(user, { threadId, runId, role: 'ASSISTANT', parts: [call('race_a'), call('race_b')] });
    await setStatus(user, runId, 'REQUIRES_ACTION');

    const responses = await Promise.all(Array.from({ length: 4 }, (_, i) => submit(user, runId, [result('race_a', i), result('race_b', i)])));
    const succeeded = responses.filter((response) => !response.errors);
    expect(succeeded).toHaveLength(1);
    for (const response of responses.filter((r) => r.errors)) expectError(response, 'BAD_USER_INPUT');
    const tool = (await page(user, threadId)).filter((message: { role: string }) => message.role === 'TOOL');
    expect(tool).toHaveLength(1);
    expect((await readRun(user, runId)).status).toBe('IN_PROGRESS');
  });

  it('more concurrent submissions than the pool has connections, on a thread Redis has never seen: one succeeds, none hangs', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const run = await seed(app.db).run(thread.id);
    await app.db.updateTable('runs').set({ status: 'REQUIRES_ACTION' }).where('id', '=', run.id).execute();
    await app.db.transaction().execute((trx) =>
      insertMessageWithNextSeq(trx, {
        id: ids.messageId(), threadId: thread.id, runId: run.id as RunId, role: 'ASSISTANT', content: '',
        parts: [{ type: 'toolCall', callId: 'cold_call', name: 'lookup', arguments: {} }], metadata: {}, clientMessageId: null, actor: null,
      }),
    );
    // Every submitter holds a connection while it queues on the thread's lock; the holder's send
    // asks Postgres about the thread, the run and its calls (the thread is cold in Redis) through
    // its own transaction, not a connection of the pool.
    const responses = await Promise.all(Array.from({ length: 14 }, (_, i) => submit(user, run.id, [result('cold_call', i)])));
    expect(responses.filter((response) => !response.errors)).toHaveLength(1);
    for (const response of responses.filter((r) => r.errors)) expectError(response, 'BAD_USER_INPUT');
    expect((await page(user, thread.id)).map((message: { role: string }) => message.role)).toEqual(['ASSISTANT', 'TOOL']);
  });

  it('a FAST result racing the submission: whichever Redis sequences first wins, the other changes nothing', async () => {
    const { user, threadId, runId } = await workingRun();
    await send(user, { threadId, runId, role: 'ASSISTANT', parts: [call('contested')] });
    await setStatus(user, runId, 'REQUIRES_ACTION');

    const [direct, submitted] = await Promise.all([
      app.gql(user, SEND, { input: { threadId, role: 'TOOL', parts: [{ toolResult: result('contested', 'direct') }] } }),
      submit(user, runId, [result('contested', 'submitted')]),
    ]);
    expect([direct, submitted].filter((response) => !response.errors)).toHaveLength(1);
    const tool = (await page(user, threadId)).filter((message: { role: string }) => message.role === 'TOOL');
    expect(tool).toHaveLength(1);
    expect((await readRun(user, runId)).status).toBe(submitted.errors ? 'REQUIRES_ACTION' : 'IN_PROGRESS');
  });
});

describe('required actions without Redis (the Postgres path, one transaction)', () => {
  let app: TestApp;
  const { send, setStatus, submit, readRun, workingRun } = scenario(() => app);

  beforeAll(async () => void (app = await startTestApp({ env: { DISABLE_REDIS: 'true' } })));
  afterAll(() => app?.stop());

  it('the round trip commits the TOOL message and the transition together', async () => {
    const { user, threadId, runId } = await workingRun();
    await send(user, { threadId, runId, role: 'ASSISTANT', parts: [call('pg_call')] });
    await setStatus(user, runId, 'REQUIRES_ACTION');
    expect((await readRun(user, runId)).requiredAction.toolCalls.map((c: { callId: string }) => c.callId)).toEqual(['pg_call']);

    expectError(await submit(user, runId, [result('pg_call'), result('extra')]), 'BAD_USER_INPUT');
    expect(expectData(await submit(user, runId, [result('pg_call')])).submitToolResults).toEqual({ id: runId, status: 'IN_PROGRESS', requiredAction: null });
    const rows = await app.db.selectFrom('messages').select(['seq', 'role', 'run_id']).where('thread_id', '=', threadId).orderBy('seq').execute();
    expect(rows).toEqual([
      { seq: 1, role: 'ASSISTANT', run_id: runId },
      { seq: 2, role: 'TOOL', run_id: runId },
    ]);
    expect(await setStatus(user, runId, 'COMPLETED')).toMatchObject({ status: 'COMPLETED' });
  });
});

describe('required actions while Redis is down (the circuit open)', () => {
  let redis: PrivateRedis;
  let app: TestApp;
  const { send, setStatus, submit, readRun, page, workingRun } = scenario(() => app);

  beforeAll(async () => {
    redis = await startPrivateRedis();
    app = await startTestApp({ env: { REDIS_URL: redis.url, PERSISTER_BLOCK_MS: '20' } });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await redis?.dispose();
  });

  const readiness = async () => ((await (await fetch(new URL('/ready', app.url))).json()) as { status: string }).status;

  it('commits the TOOL message and the transition in Postgres; once Redis is back, the calls stay answered', async () => {
    const { user, threadId, runId } = await workingRun();
    await send(user, { threadId, runId, role: 'ASSISTANT', parts: [call('outage_call')] });
    await setStatus(user, runId, 'REQUIRES_ACTION');
    await waitFor('the call in Postgres', async () => (await app.db.selectFrom('messages').select('id').where('thread_id', '=', threadId).execute()).length === 1);

    await redis.kill();
    expect(expectData(await submit(user, runId, [result('outage_call')])).submitToolResults).toEqual({ id: runId, status: 'IN_PROGRESS', requiredAction: null });
    expect(await readiness()).toBe('degraded');
    const rows = await app.db.selectFrom('messages').select(['seq', 'role', 'run_id']).where('thread_id', '=', threadId).orderBy('seq').execute();
    expect(rows).toEqual([
      { seq: 1, role: 'ASSISTANT', run_id: runId },
      { seq: 2, role: 'TOOL', run_id: runId },
    ]);

    await redis.restart();
    await waitFor('the circuit to close', async () => (await readiness()) === 'ready', 60_000, 100);
    expect((await page(user, threadId)).map((message: { seq: number; role: string }) => [message.seq, message.role])).toEqual([[1, 'ASSISTANT'], [2, 'TOOL']]);
    const late = await app.gql(user, SEND, { input: { threadId, role: 'TOOL', parts: [{ toolResult: result('outage_call') }] } });
    expect(expectError(late, 'BAD_USER_INPUT').message).toMatch(/outage_call answers a toolCall that already has its result/);
    expect((await send(user, { threadId, runId, role: 'ASSISTANT', content: 'done' })).seq).toBe(3);
    expect((await readRun(user, runId)).status).toBe('IN_PROGRESS');
    // A kill, a restart and a recovery (the persister drains, counters re-seed, the outbox relays)
    // share two cores with the whole suite in CI: more than the default 30 s once, never locally.
  }, 90_000);
});
