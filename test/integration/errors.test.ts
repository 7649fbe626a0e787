import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/domain/message.js';
import type { Run } from '../../src/domain/run.js';
import type { Thread } from '../../src/domain/thread.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const FORMAT = {
  thread: 'thread_<origin>_<epochMs>_<counter>_<hex8>',
  run: '<threadId>_run_<epochMs>_<hex8>',
  message: 'msg_<epochMs>_<counter>_<hex8>',
  node: 'a thread, run or message ID',
};

describe('client errors', () => {
  let app: TestApp;
  let user: string;
  let thread: Thread;
  let run: Run;
  let message: Message;

  beforeAll(async () => {
    app = await startTestApp();
    user = newUserId();
    thread = await seed(app.db).thread(user, { title: 'untouched' });
    [message] = (await seed(app.db).messages(thread.id, ['first'])) as [Message];
    run = await seed(app.db).run(thread.id);
  });
  afterAll(() => app.stop());

  describe('a malformed ID in any ID argument is INVALID_ID, names the value and the format, and changes nothing', () => {
    type Case = [argument: string, query: string, variables: () => Record<string, unknown>, bad: () => string, kind: keyof typeof FORMAT];
    const cases: Case[] = [
      ['thread(id)', 'query($v: ID!) { thread(id: $v) { id } }', () => ({}), () => 'nope', 'thread'],
      ['run(id) given a thread ID', 'query($v: ID!) { run(id: $v) { id } }', () => ({}), () => thread.id, 'run'],
      ['message(id) given a run ID', 'query($v: ID!) { message(id: $v) { id } }', () => ({}), () => run.id, 'message'],
      ['node(id)', 'query($v: ID!) { node(id: $v) { id } }', () => ({}), () => 'msg_123', 'node'],
      ['updateThread.input.id given a message ID', 'mutation($v: ID!) { updateThread(input: { id: $v, title: "x" }) { id } }', () => ({}), () => message.id, 'thread'],
      ['archiveThread(id) given an empty string', 'mutation($v: ID!) { archiveThread(id: $v) { id } }', () => ({}), () => '', 'thread'],
      ['unarchiveThread(id) given a run ID', 'mutation($v: ID!) { unarchiveThread(id: $v) { id } }', () => ({}), () => run.id, 'thread'],
      ['archiveThreads(ids), one bad among good', 'mutation($v: ID!, $good: ID!) { archiveThreads(ids: [$good, $v]) { id } }', () => ({ good: thread.id }), () => 'thread_x', 'thread'],
      ['generateThreadTitle(id) with too many prefixes of nothing', 'mutation($v: ID!) { generateThreadTitle(id: $v) { id } }', () => ({}), () => 'thread_thread_thread_x', 'thread'],
      ['markThreadRead.input.threadId given a message ID', 'mutation($v: ID!) { markThreadRead(input: { threadId: $v, seq: 0 }) { id } }', () => ({}), () => message.id, 'thread'],
      ['startRun.input.threadId given a run ID', 'mutation($v: ID!) { startRun(input: { threadId: $v }) { id } }', () => ({}), () => run.id, 'thread'],
      ['updateRunStatus.input.id, legacy form without hex', 'mutation($v: ID!) { updateRunStatus(input: { id: $v, status: IN_PROGRESS }) { id } }', () => ({}), () => `run_${thread.id}`, 'run'],
      ['sendMessage.input.threadId in upper case', 'mutation($v: ID!) { sendMessage(input: { threadId: $v, content: "x" }) { id } }', () => ({}), () => thread.id.toUpperCase(), 'thread'],
      ['sendMessage.input.runId "test-run"', 'mutation($v: ID, $t: ID!) { sendMessage(input: { threadId: $t, content: "x", runId: $v }) { id } }', () => ({ t: thread.id }), () => 'test-run', 'run'],
      ['startMessage.input.threadId', 'mutation($v: ID!) { startMessage(input: { threadId: $v }) { id } }', () => ({}), () => 'thread_', 'thread'],
      ['startMessage.input.runId', 'mutation($v: ID, $t: ID!) { startMessage(input: { threadId: $t, runId: $v }) { id } }', () => ({ t: thread.id }), () => `${thread.id}_run_`, 'run'],
      ['appendMessageDelta.input.id given a thread ID', 'mutation($v: ID!) { appendMessageDelta(input: { id: $v, delta: "x" }) { id } }', () => ({}), () => thread.id, 'message'],
      ['forkThread.input.messageId given a thread ID', 'mutation($v: ID!) { forkThread(input: { messageId: $v }) { id } }', () => ({}), () => thread.id, 'message'],
      ['deleteThread(id) given a message ID', 'mutation($v: ID!) { deleteThread(id: $v) { threadId } }', () => ({}), () => message.id, 'thread'],
      ['deleteThreads(ids), one bad among good', 'mutation($v: ID!, $good: ID!) { deleteThreads(ids: [$good, $v]) { threadId } }', () => ({ good: thread.id }), () => run.id, 'thread'],
      ['erasure(threadId)', 'query($v: ID!) { erasure(threadId: $v) { status } }', () => ({}), () => 'thread_nope', 'thread'],
      ['completeMessage(id)', 'mutation($v: ID!) { completeMessage(id: $v) { id } }', () => ({}), () => 'msg_1_2_3', 'message'],
    ];

    it.each(cases)('%s', async (_argument, query, variables, bad, kind) => {
      const before = await ownerRows(app.db, user);
      const value = bad();
      const response = await app.gql(user, query, { ...variables(), v: value });
      const error = expectError(response, 'INVALID_ID');
      expect(error.message).toContain(`Invalid ${kind} ID ${JSON.stringify(value)}`);
      expect(error.message).toContain(FORMAT[kind]);
      expect(Object.values(response.data ?? {}).every((field) => field === null)).toBe(true);
      expect(await ownerRows(app.db, user)).toEqual(before);
    });

    it('a very long value is quoted cut short, not echoed whole', async () => {
      const value = 'x'.repeat(5_000);
      const error = expectError(await app.gql(user, 'query($v: ID!) { thread(id: $v) { id } }', { v: value }), 'INVALID_ID');
      expect(error.message).toContain(`"${'x'.repeat(80)}…"`);
      expect(error.message.length).toBeLessThan(300);
    });
  });

  describe('pagination arguments', () => {
    async function cursors() {
      const data = expectData(
        await app.gql(user, 'query($id: ID!) { threads(first: 1) { pageInfo { endCursor } } thread(id: $id) { messages(first: 1) { pageInfo { endCursor } } } }', {
          id: thread.id,
        }),
      );
      return { threadCursor: data.threads.pageInfo.endCursor as string, messageCursor: data.thread.messages.pageInfo.endCursor as string };
    }

    it('an invalid cursor is BAD_USER_INPUT', async () => {
      const { threadCursor, messageCursor } = await cursors();
      const attempts: Array<[string, Record<string, unknown>]> = [
        ['query($c: String) { threads(after: $c) { edges { cursor } } }', { c: 'zzz' }],
        ['query($c: String) { threads(before: $c) { edges { cursor } } }', { c: messageCursor }],
        ['query($c: String, $id: ID!) { thread(id: $id) { messages(after: $c) { edges { cursor } } } }', { c: threadCursor, id: thread.id }],
        ['query($c: String, $id: ID!) { thread(id: $id) { runs(after: $c) { edges { cursor } } } }', { c: '!!not base64!!', id: thread.id }],
        ['query($c: String, $id: ID!) { run(id: $id) { messages(before: $c) { edges { cursor } } } }', { c: Buffer.from('seq:-4').toString('base64url'), id: run.id }],
        ['query($c: String) { threads(after: $c) { edges { cursor } } }', { c: Buffer.from('t:not-a-time:x').toString('base64url') }],
      ];
      for (const [query, variables] of attempts) {
        const error = expectError(await app.gql(user, query, variables), 'BAD_USER_INPUT');
        expect(error.message, query).toMatch(/^Invalid cursor/);
      }
    });

    it('first or last above 100, or negative, is BAD_USER_INPUT; 100 is fine', async () => {
      const attempts: Array<[string, number]> = [
        ['threads(first: $n) { edges { cursor } }', 101],
        ['threads(last: $n) { edges { cursor } }', 101],
        ['threads(first: $n) { edges { cursor } }', -1],
        ['thread(id: $id) { messages(last: $n) { edges { cursor } } }', 101],
        ['thread(id: $id) { messages(first: $n) { edges { cursor } } }', 1000],
        ['thread(id: $id) { runs(first: $n) { edges { cursor } } }', 101],
        ['run(id: $run) { messages(last: $n) { edges { cursor } } }', 101],
        ['threads(first: 1) { edges { node { messages(first: $n) { edges { cursor } } } } }', 101],
      ];
      for (const [selection, n] of attempts) {
        const declarations = ['$n: Int', selection.includes('$id') && '$id: ID!', selection.includes('$run') && '$run: ID!'].filter(Boolean).join(', ');
        const response = await app.gql(user, `query(${declarations}) { ${selection} }`, { n, id: thread.id, run: run.id });
        expect(expectError(response, 'BAD_USER_INPUT').message, selection).toBe(`"${selection.includes('last') ? 'last' : 'first'}" must be between 0 and 100, got ${n}`);
      }
      const ok = await app.gql(user, 'query($id: ID!, $n: Int) { threads(first: $n) { edges { cursor } } thread(id: $id) { messages(last: $n) { edges { cursor } } } }', {
        id: thread.id,
        n: 100,
      });
      expect(expectData(ok).thread.messages.edges).toHaveLength(1);
    });
  });

  describe('query limits (src/server/query-limits.ts) refuse oversized operations with QUERY_TOO_COMPLEX', () => {
    const tooComplex = async (query: string, pattern: RegExp) => {
      const response = await app.gql(user, query);
      expect(response.data ?? null).toBeNull();
      expect(response.errors?.length).toBeGreaterThan(0);
      const error = response.errors!.find((candidate) => candidate.extensions?.code === 'QUERY_TOO_COMPLEX');
      expect(error?.message, JSON.stringify(response.errors)).toMatch(pattern);
    };
    const absent = 'msg_1757372479002_7_0badf00d';

    it('depth: 12 levels run, 13 are refused', async () => {
      const twelve = `{ message(id: "${absent}") { thread { messages { edges { node { thread { messages { edges { node { run { thread { title } } } } } } } } } } } }`;
      expect(expectData(await app.gql(user, twelve))).toEqual({ message: null });
      const thirteen = `{ message(id: "${absent}") { thread { messages { edges { node { thread { messages { edges { node { thread { runs { pageInfo { hasNextPage } } } } } } } } } } } } }`;
      await tooComplex(thirteen, /depth limit of 12 exceeded, found 13/);
    });

    it('aliases: 20 run, 21 are refused, and a refused mutation creates nothing', async () => {
      const aliased = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');
      expect(Object.keys(expectData(await app.gql(user, `{ ${aliased(20, 'viewer { id }')} }`)))).toHaveLength(20);
      await tooComplex(`{ ${aliased(21, 'viewer { id }')} }`, /Aliases limit of 20 exceeded/);

      const creator = newUserId();
      const response = await app.gql(creator, `mutation { ${aliased(21, 'createThread { id }')} }`);
      expect(response.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect(await app.db.selectFrom('threads').select('id').where('owner_id', '=', creator).execute()).toEqual([]);
    });

    it('tokens: about 2,700 run, over 3,000 are refused', async () => {
      const filter = (keys: number) => `{ threads(metadata: { ${Array.from({ length: keys }, (_, i) => `k${i}: ${i}`).join(' ')} }) { edges { cursor } } }`;
      expect(expectData(await app.gql(user, filter(900)))).toEqual({ threads: { edges: [] } });
      await tooComplex(filter(1_100), /Token limit of 3000 exceeded/);
    });

    it('directives: 20 run, 21 are refused', async () => {
      const fields = (n: number) => `{ viewer { ${Array.from({ length: n }, () => 'id @include(if: true)').join(' ')} } }`;
      expect(expectData(await app.gql(user, fields(20)))).toEqual({ viewer: { id: user } });
      await tooComplex(fields(21), /Directives limit of 20 exceeded/);
    });

    it('cost: realistic pages run; 100 threads × 100 messages each is refused', async () => {
      const threadView = `query($id: ID!) { thread(id: $id) { messages(last: 100) { edges { cursor node { id role content seq createdAt runId metadata } } } } }`;
      expect(expectData(await app.gql(user, threadView, { id: thread.id })).thread.messages.edges).toHaveLength(1);
      const listView = `{ threads(first: 20) { edges { node { id title messages(last: 20) { edges { node { id content } } } runs(first: 10) { edges { node { id status } } } } } } }`;
      expect(expectData(await app.gql(user, listView)).threads.edges).toHaveLength(1);
      await tooComplex('{ threads(first: 100) { edges { node { messages(first: 100) { edges { node { id } } } } } } }', /Query cost limit of 20000 exceeded/);
    });
  });

  it('the seeded data survived every refusal above', async () => {
    const data = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { title status messageCount runs { edges { node { status } } } } }', { id: thread.id }));
    expect(data.thread).toEqual({ title: 'untouched', status: 'ACTIVE', messageCount: 1, runs: { edges: [{ node: { status: 'QUEUED' } }] } });
  });
});
