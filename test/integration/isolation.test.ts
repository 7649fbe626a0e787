import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/domain/message.js';
import type { Run } from '../../src/domain/run.js';
import type { Thread } from '../../src/domain/thread.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

/** Well-formed IDs of nothing at all, to compare "someone else's" with "nobody's". */
const NOBODYS = {
  thread: 'thread_api_1757372478799_7_0badf00d',
  run: 'thread_api_1757372478799_7_0badf00d_run_1757372479002_0badf00d',
  message: 'msg_1757372479002_7_0badf00d',
};

describe('two users', () => {
  let app: TestApp;
  let alice: string;
  let bob: string;
  let thread: Thread;
  let run: Run;
  let message: Message;

  beforeAll(async () => {
    app = await startTestApp();
    alice = newUserId('alice');
    bob = newUserId('bob');
    thread = await seed(app.db).thread(alice, { title: 'alice only', metadata: { shared: 'no' } });
    [message] = (await seed(app.db).messages(thread.id, ['a secret'])) as [Message];
    run = await seed(app.db).run(thread.id);
  });
  afterAll(() => app.stop());

  it('the owner sees everything (so the nulls below are about ownership)', async () => {
    const data = expectData(
      await app.gql(alice, 'query($t: ID!, $r: ID!, $m: ID!) { thread(id: $t) { id } run(id: $r) { id } message(id: $m) { id } node(id: $t) { id } }', {
        t: thread.id,
        r: run.id,
        m: message.id,
      }),
    );
    expect(data).toEqual({ thread: { id: thread.id }, run: { id: run.id }, message: { id: message.id }, node: { id: thread.id } });
  });

  it('B reads null, without an error, for A\'s thread, run and message, by field and by node', async () => {
    const query = `query($t: ID!, $r: ID!, $m: ID!) {
      thread(id: $t) { id title } run(id: $r) { id } message(id: $m) { id content }
      threadNode: node(id: $t) { id } runNode: node(id: $r) { id } messageNode: node(id: $m) { id }
    }`;
    const response = await app.gql(bob, query, { t: thread.id, r: run.id, m: message.id });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ thread: null, run: null, message: null, threadNode: null, runNode: null, messageNode: null });
  });

  it('B never sees A\'s threads in any list, nor A\'s thread as active', async () => {
    const mine = await seed(app.db).thread(bob, { metadata: { shared: 'no' } });
    const lists = expectData(
      await app.gql(bob, `{
        all: threads(first: 100) { edges { node { id } } }
        archived: threads(first: 100, status: ARCHIVED) { edges { node { id } } }
        byMetadata: threads(first: 100, metadata: { shared: "no" }) { edges { node { id } } }
        activeThread { id }
      }`),
    );
    expect(lists).toEqual({
      all: { edges: [{ node: { id: mine.id } }] },
      archived: { edges: [] },
      byMetadata: { edges: [{ node: { id: mine.id } }] },
      activeThread: { id: mine.id },
    });
    const fresh = newUserId('carol');
    expect(expectData(await app.gql(fresh, '{ threads { edges { node { id } } } activeThread { id } }'))).toEqual({ threads: { edges: [] }, activeThread: null });
  });

  it('getOrCreateActiveThread for B creates B\'s own thread, never returns A\'s', async () => {
    const carol = newUserId('carol');
    const created = expectData(await app.gql(carol, 'mutation { getOrCreateActiveThread { id } }')).getOrCreateActiveThread;
    expect(created.id).not.toBe(thread.id);
    expect((await app.db.selectFrom('threads').select('owner_id').where('id', '=', created.id).executeTakeFirstOrThrow()).owner_id).toBe(carol);
  });

  describe('B\'s mutations on A\'s data fail NOT_FOUND, change nothing, and read like a missing ID', () => {
    /** Each mutation, as a function of the thread and run it targets. */
    const mutations: Array<[string, string, (t: string, r: string, m: string) => Record<string, unknown>, 'thread' | 'run' | 'message']> = [
      ['updateThread', 'mutation($t: ID!) { updateThread(input: { id: $t, title: "mine now" }) { id } }', (t) => ({ t }), 'thread'],
      ['archiveThread', 'mutation($t: ID!) { archiveThread(id: $t) { id } }', (t) => ({ t }), 'thread'],
      ['archiveThreads', 'mutation($t: ID!) { archiveThreads(ids: [$t]) { id } }', (t) => ({ t }), 'thread'],
      ['unarchiveThread', 'mutation($t: ID!) { unarchiveThread(id: $t) { id } }', (t) => ({ t }), 'thread'],
      ['generateThreadTitle', 'mutation($t: ID!) { generateThreadTitle(id: $t) { id } }', (t) => ({ t }), 'thread'],
      ['markThreadRead', 'mutation($t: ID!) { markThreadRead(input: { threadId: $t, seq: 0 }) { id } }', (t) => ({ t }), 'thread'],
      ['startRun', 'mutation($t: ID!) { startRun(input: { threadId: $t }) { id } }', (t) => ({ t }), 'thread'],
      ['sendMessage', 'mutation($t: ID!) { sendMessage(input: { threadId: $t, content: "hi" }) { id } }', (t) => ({ t }), 'thread'],
      ['sendMessage with A\'s run', 'mutation($t: ID!, $r: ID!) { sendMessage(input: { threadId: $t, content: "hi", runId: $r }) { id } }', (t, r) => ({ t, r }), 'thread'],
      ['updateRunStatus', 'mutation($r: ID!) { updateRunStatus(input: { id: $r, status: IN_PROGRESS }) { id } }', (_t, r) => ({ r }), 'run'],
      ['startMessage', 'mutation($t: ID!) { startMessage(input: { threadId: $t }) { id } }', (t) => ({ t }), 'thread'],
      // A's message is complete: B must hear "not found", never "already completed".
      ['appendMessageDelta', 'mutation($m: ID!) { appendMessageDelta(input: { id: $m, delta: "x" }) { id } }', (_t, _r, m) => ({ m }), 'message'],
      ['completeMessage', 'mutation($m: ID!) { completeMessage(id: $m) { id } }', (_t, _r, m) => ({ m }), 'message'],
    ];

    it.each(mutations)('%s', async (_name, query, variables, target) => {
      const before = { alice: await ownerRows(app.db, alice), bob: await ownerRows(app.db, bob) };
      const foreignTarget = { thread: thread.id, run: run.id, message: message.id }[target];
      const nobodysTarget = NOBODYS[target];

      const foreign = await app.gql(bob, query, variables(thread.id, run.id, message.id));
      const foreignError = expectError(foreign, 'NOT_FOUND');
      expect(foreign.data).toBeNull();
      expect({ alice: await ownerRows(app.db, alice), bob: await ownerRows(app.db, bob) }).toEqual(before);

      // The same mutation on a well-formed ID of nothing must answer identically, ID aside.
      const missing = await app.gql(bob, query, variables(NOBODYS.thread, NOBODYS.run, NOBODYS.message));
      const missingError = expectError(missing, 'NOT_FOUND');
      expect(foreignError.message).toContain(foreignTarget);
      expect(foreignError.message.replace(foreignTarget, '<id>')).toBe(missingError.message.replace(nobodysTarget, '<id>'));
      expect(Object.keys(foreignError.extensions ?? {})).toEqual(Object.keys(missingError.extensions ?? {}));
    });

    it('archiveThreads mixing B\'s own thread with A\'s archives neither', async () => {
      const own = await seed(app.db).thread(bob);
      const response = await app.gql(bob, 'mutation($ids: [ID!]!) { archiveThreads(ids: $ids) { id } }', { ids: [own.id, thread.id] });
      expectError(response, 'NOT_FOUND');
      const statuses = await app.db.selectFrom('threads').select(['id', 'status']).where('id', 'in', [own.id, thread.id]).execute();
      expect(statuses.every((row) => row.status === 'ACTIVE')).toBe(true);
    });

    it('A\'s data is intact afterwards', async () => {
      const data = expectData(
        await app.gql(alice, 'query($t: ID!, $r: ID!) { thread(id: $t) { title status messageCount } run(id: $r) { status } }', { t: thread.id, r: run.id }),
      );
      expect(data).toEqual({ thread: { title: 'alice only', status: 'ACTIVE', messageCount: 1 }, run: { status: 'QUEUED' } });
    });
  });
});
