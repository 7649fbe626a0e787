import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const MESSAGE_FIELDS = 'id threadId thread { id } runId role content metadata seq createdAt clientMessageId';
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${MESSAGE_FIELDS} } }`;
const MAX_BYTES = 64 * 1024;

describe('messages', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  const send = (user: string, input: Record<string, unknown>) => app.gql(user, SEND, { input });
  const messageRows = (threadId: string) => app.db.selectFrom('messages').selectAll().where('thread_id', '=', threadId).orderBy('seq').execute();
  const lastSeqOf = async (threadId: string) => (await app.db.selectFrom('threads').select('last_seq').where('id', '=', threadId).executeTakeFirstOrThrow()).last_seq;
  /**
   * The default (FAST) write is acknowledged once Redis has sequenced it; the persister commits
   * it to Postgres shortly after. Database checks after a send therefore wait for that.
   */
  const persisted = (threadId: string, count: number) =>
    vi.waitFor(
      async () => {
        const rows = await messageRows(threadId);
        expect(rows).toHaveLength(count);
        return rows;
      },
      { timeout: 10_000, interval: 25 },
    );
  /** The seq the thread's next message gets: proves a refused send did not take one. */
  const nextSeq = async (user: string, threadId: string) => expectData(await send(user, { threadId, content: 'probe' })).sendMessage.seq as number;

  async function userWithThread(): Promise<{ user: string; thread: Thread }> {
    const user = newUserId();
    return { user, thread: await seed(app.db).thread(user) };
  }

  it('sendMessage appends at seq 1, 2, 3 with role USER by default, and stores each row', async () => {
    const { user, thread } = await userWithThread();
    const first = expectData(await send(user, { threadId: thread.id, content: 'hello', metadata: { lang: 'en' } })).sendMessage;
    expect(first).toMatchObject({ threadId: thread.id, runId: null, role: 'USER', content: 'hello', metadata: { lang: 'en' }, seq: 1, clientMessageId: null });
    expect(first.id).toMatch(/^msg_\d{13}_\d+_[0-9a-f]{8}$/);
    expect(first.thread).toEqual({ id: thread.id });
    const second = expectData(await send(user, { threadId: thread.id, content: 'hi there', role: 'ASSISTANT' })).sendMessage;
    const third = expectData(await send(user, { threadId: thread.id, content: 'tool output', role: 'TOOL' })).sendMessage;
    expect([second.seq, third.seq]).toEqual([2, 3]);

    const rows = await persisted(thread.id, 3);
    expect(rows.map((row) => [row.id, row.seq, row.role, row.content])).toEqual([
      [first.id, 1, 'USER', 'hello'],
      [second.id, 2, 'ASSISTANT', 'hi there'],
      [third.id, 3, 'TOOL', 'tool output'],
    ]);
    expect(rows[0]).toMatchObject({ metadata: { lang: 'en' }, run_id: null, client_message_id: null });
    expect(rows[0]!.created_at.toISOString()).toBe(first.createdAt);
    expect(await lastSeqOf(thread.id)).toBe(3);
    const { thread: read } = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { messageCount } }', { id: thread.id }));
    expect(read.messageCount).toBe(3);
  });

  it('message(id) reads a message back', async () => {
    const { user, thread } = await userWithThread();
    const sent = expectData(await send(user, { threadId: thread.id, content: 'read me' })).sendMessage;
    const { message } = expectData(await app.gql(user, `query($id: ID!) { message(id: $id) { ${MESSAGE_FIELDS} } }`, { id: sent.id }));
    expect(message).toEqual(sent);
    const absent = await app.gql(user, 'query($id: ID!) { message(id: $id) { id } }', { id: 'msg_1757372479002_1_0b1c2d3e' });
    expect(absent).toMatchObject({ data: { message: null } });
    expect(absent.errors).toBeUndefined();
  });

  describe('clientMessageId', () => {
    it('a repeat returns the first message without storing a row or advancing seq', async () => {
      const { user, thread } = await userWithThread();
      const first = expectData(await send(user, { threadId: thread.id, content: 'once', clientMessageId: 'c-1' })).sendMessage;
      expect(first).toMatchObject({ seq: 1, clientMessageId: 'c-1' });
      const repeat = expectData(await send(user, { threadId: thread.id, content: 'once (retried, different text)', clientMessageId: 'c-1' })).sendMessage;
      expect(repeat).toEqual(first);

      expect(expectData(await send(user, { threadId: thread.id, content: 'next' })).sendMessage.seq).toBe(2);
      const rows = await persisted(thread.id, 2);
      expect(rows.map((row) => [row.seq, row.content, row.client_message_id])).toEqual([
        [1, 'once', 'c-1'],
        [2, 'next', null],
      ]);
      expect(await lastSeqOf(thread.id)).toBe(2);
      const elsewhere = await seed(app.db).thread(user);
      const sameKeyOtherThread = expectData(await send(user, { threadId: elsewhere.id, content: 'other', clientMessageId: 'c-1' })).sendMessage;
      expect(sameKeyOtherThread.id).not.toBe(first.id);
      expect(sameKeyOtherThread.seq).toBe(1);
    });

    it('concurrent sends with one clientMessageId store exactly one message', async () => {
      // Several rounds, each on a fresh thread: one burst can happen to arrive one request at a time.
      for (let round = 0; round < 5; round++) {
        const { user, thread } = await userWithThread();
        const responses = await Promise.all(Array.from({ length: 10 }, () => send(user, { threadId: thread.id, content: 'race', clientMessageId: 'c-race' })));
        const ids = new Set(responses.map((response) => expectData(response).sendMessage.id));
        expect(ids.size).toBe(1);
        expect(await nextSeq(user, thread.id)).toBe(2);
        expect((await persisted(thread.id, 2)).map((row) => row.content)).toEqual(['race', 'probe']);
      }
    });
  });

  it('50 concurrent sends to one thread get seqs 1..50 without gaps', async () => {
    const { user, thread } = await userWithThread();
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => send(user, { threadId: thread.id, content: `m${i}` })));
    const seqs = responses.map((response) => expectData(response).sendMessage.seq as number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const rows = await persisted(thread.id, 50);
    expect(rows.map((row) => row.seq)).toEqual(seqs);
    expect(new Set(rows.map((row) => row.content)).size).toBe(50);
    expect(await lastSeqOf(thread.id)).toBe(50);
  });

  describe('refusals store nothing and take no seq', () => {
    async function expectRefused(user: string, thread: Thread, input: Record<string, unknown>, code: string, message?: RegExp) {
      const before = await ownerRows(app.db, user);
      const response = await send(user, { threadId: thread.id, content: 'x', ...input });
      const error = expectError(response, code);
      if (message) expect(error.message).toMatch(message);
      // null when a resolver refused it; absent when refused before execution (unstorable text), as the spec says.
      expect(response.data ?? null).toBeNull();
      expect(await ownerRows(app.db, user)).toEqual(before);
    }

    it('a runId from another thread is BAD_USER_INPUT', async () => {
      const { user, thread } = await userWithThread();
      const otherThread = await seed(app.db).thread(user);
      const foreignRun = await seed(app.db).run(otherThread.id);
      await expectRefused(user, thread, { runId: foreignRun.id }, 'BAD_USER_INPUT', /does not belong to thread/);
      expect(await nextSeq(user, thread.id)).toBe(1);
    });

    it('a runId of this thread that does not exist is NOT_FOUND', async () => {
      const { user, thread } = await userWithThread();
      await expectRefused(user, thread, { runId: `${thread.id}_run_1757372479002_9c1d22aa` }, 'NOT_FOUND');
      expect(await nextSeq(user, thread.id)).toBe(1);
    });

    it('content over 64 KiB of UTF-8 is BAD_USER_INPUT, counting bytes not characters', async () => {
      const { user, thread } = await userWithThread();
      // 32,769 two-byte characters: fewer than 65,536 characters, but 65,538 bytes.
      await expectRefused(user, thread, { content: 'é'.repeat(MAX_BYTES / 2 + 1) }, 'BAD_USER_INPUT', /65538 bytes; the limit is 65536/);
      await expectRefused(user, thread, { content: '😀'.repeat(MAX_BYTES / 4 + 1) }, 'BAD_USER_INPUT', /65540 bytes/);
      await expectRefused(user, thread, { content: 'a'.repeat(MAX_BYTES + 1) }, 'BAD_USER_INPUT');
      expect(await nextSeq(user, thread.id)).toBe(1);
    });

    it('content of exactly 64 KiB is accepted and stored intact', async () => {
      const { user, thread } = await userWithThread();
      const content = `${'€'.repeat(21_844)}éé`; // 3 × 21,844 + 2 × 2 bytes
      expect(Buffer.byteLength(content)).toBe(MAX_BYTES);
      const sent = expectData(await app.gql(user, 'mutation($t: ID!, $c: String!) { sendMessage(input: { threadId: $t, content: $c }) { id } }', { t: thread.id, c: content }));
      expect((await persisted(thread.id, 1)).map((row) => [row.id, row.content])).toEqual([[sent.sendMessage.id, content]]);
    });

    it('a NUL character in content or metadata is BAD_USER_INPUT, not an internal error', async () => {
      const { user, thread } = await userWithThread();
      await expectRefused(user, thread, { content: 'a\u0000b' }, 'BAD_USER_INPUT', /NUL/);
      await expectRefused(user, thread, { metadata: { note: 'a\u0000b' } }, 'BAD_USER_INPUT', /NUL/);
      expect(await nextSeq(user, thread.id)).toBe(1);
    });

    it('an archived thread is BAD_USER_INPUT', async () => {
      const { user, thread } = await userWithThread();
      expectData(await app.gql(user, 'mutation($id: ID!) { archiveThread(id: $id) { id } }', { id: thread.id }));
      await expectRefused(user, thread, {}, 'BAD_USER_INPUT', /archived/);
    });

    it('non-object metadata and an over-long clientMessageId are BAD_USER_INPUT', async () => {
      const { user, thread } = await userWithThread();
      await expectRefused(user, thread, { metadata: [1, 2] }, 'BAD_USER_INPUT');
      await expectRefused(user, thread, { clientMessageId: 'k'.repeat(201) }, 'BAD_USER_INPUT');
      await expectRefused(user, thread, { clientMessageId: '' }, 'BAD_USER_INPUT');
      expect(await nextSeq(user, thread.id)).toBe(1);
    });
  });

  describe('Thread.messages', () => {
    let user: string;
    let thread: Thread;
    const page = async (args: string, variables: Record<string, unknown> = {}) => {
      const cursors = Object.keys(variables).map((name) => `, $${name}: String`).join('');
      const query = `query($id: ID!${cursors}) { thread(id: $id) { messages(${args}) { edges { cursor node { content seq } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
      return expectData(await app.gql(user, query, { id: thread.id, ...variables })).thread.messages;
    };
    const contents = (connection: { edges: Array<{ node: { content: string } }> }) => connection.edges.map((edge) => edge.node.content);

    beforeAll(async () => {
      ({ user, thread } = await userWithThread());
      await seed(app.db).messages(thread.id, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    });

    it('last: n gives the newest n, oldest of them first', async () => {
      const newest = await page('last: 3');
      expect(contents(newest)).toEqual(['m5', 'm6', 'm7']);
      expect(newest.pageInfo).toMatchObject({ hasPreviousPage: true });
      const older = await page('last: 3, before: $before', { before: newest.pageInfo.startCursor });
      expect(contents(older)).toEqual(['m2', 'm3', 'm4']);
    });

    it('first/after walks every message once, in seq order', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const connection = await page('first: 3, after: $after', { after });
        seen.push(...contents(connection));
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      expect(seen).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    });

    it('after and before together bound the page from both sides', async () => {
      const after = (await page('first: 1')).pageInfo.endCursor;
      const before = (await page('last: 1')).pageInfo.startCursor;
      expect(contents(await page('first: 10, after: $after, before: $before', { after, before }))).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']);
    });
  });
});
