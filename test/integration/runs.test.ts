import { setTimeout as pause } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunStatus } from '../../src/domain/run.js';
import type { RunId } from '../../src/ids/id-types.js';
import { insertRun } from '../../src/repositories/runs-repository.js';
import { expectData, expectError, type IdConnection } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const RUN_FIELDS = 'id threadId status metadata error createdAt startedAt completedAt thread { id }';

describe('runs', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  const runRow = (id: string) => app.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const startRun = (user: string, threadId: string, metadata?: unknown) =>
    app.gql(user, `mutation($t: ID!, $m: JSON) { startRun(input: { threadId: $t, metadata: $m }) { ${RUN_FIELDS} } }`, { t: threadId, m: metadata });
  const setStatus = (user: string, id: string, status: RunStatus, error?: string) =>
    app.gql(user, `mutation($id: ID!, $s: RunStatus!, $e: String) { updateRunStatus(input: { id: $id, status: $s, error: $e }) { ${RUN_FIELDS} } }`, {
      id,
      s: status,
      e: error,
    });

  it('startRun creates a QUEUED run whose ID embeds the thread ID, and stores it', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const run = expectData(await startRun(user, thread.id, { model: 'm1' })).startRun;
    expect(run).toMatchObject({ threadId: thread.id, status: 'QUEUED', metadata: { model: 'm1' }, error: null, startedAt: null, completedAt: null, thread: { id: thread.id } });
    expect(run.id).toMatch(new RegExp(`^${thread.id}_run_\\d{13}_[0-9a-f]{8}$`));
    expect(await runRow(run.id)).toMatchObject({ thread_id: thread.id, status: 'QUEUED', metadata: { model: 'm1' }, started_at: null, completed_at: null });

    const read = expectData(await app.gql(user, `query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id: run.id })).run;
    expect(read).toEqual(run);
  });

  it('startRun on an archived thread is BAD_USER_INPUT and creates no run', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    await app.db.updateTable('threads').set({ status: 'ARCHIVED' }).where('id', '=', thread.id).execute();
    expect(expectError(await startRun(user, thread.id), 'BAD_USER_INPUT').message).toMatch(/archived/);
    expect(await app.db.selectFrom('runs').select('id').where('thread_id', '=', thread.id).execute()).toEqual([]);
  });

  describe('status transitions', () => {
    it('QUEUED → IN_PROGRESS → REQUIRES_ACTION → IN_PROGRESS → COMPLETED sets startedAt once and completedAt at the end', async () => {
      const user = newUserId();
      const run = await seed(app.db).run((await seed(app.db).thread(user)).id);

      const started = expectData(await setStatus(user, run.id, 'IN_PROGRESS')).updateRunStatus;
      expect(started).toMatchObject({ status: 'IN_PROGRESS', completedAt: null });
      expect(started.startedAt).not.toBeNull();
      expect((await runRow(run.id)).started_at?.toISOString()).toBe(started.startedAt);

      await pause(5);
      expect(expectData(await setStatus(user, run.id, 'REQUIRES_ACTION')).updateRunStatus).toMatchObject({ status: 'REQUIRES_ACTION', startedAt: started.startedAt });
      await pause(5);
      const resumed = expectData(await setStatus(user, run.id, 'IN_PROGRESS')).updateRunStatus;
      expect(resumed).toMatchObject({ status: 'IN_PROGRESS', startedAt: started.startedAt, completedAt: null });

      const done = expectData(await setStatus(user, run.id, 'COMPLETED')).updateRunStatus;
      expect(done).toMatchObject({ status: 'COMPLETED', startedAt: started.startedAt });
      expect(new Date(done.completedAt).getTime()).toBeGreaterThan(new Date(started.startedAt).getTime());
      const row = await runRow(run.id);
      expect(row).toMatchObject({ status: 'COMPLETED', started_at: new Date(started.startedAt), completed_at: new Date(done.completedAt) });
    });

    it('FAILED keeps the error; CANCELLED from QUEUED completes without ever starting', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user);
      const [failing, cancelled] = [await seed(app.db).run(thread.id), await seed(app.db).run(thread.id)];
      expectData(await setStatus(user, failing.id, 'IN_PROGRESS'));
      const failed = expectData(await setStatus(user, failing.id, 'FAILED', 'model timed out')).updateRunStatus;
      expect(failed).toMatchObject({ status: 'FAILED', error: 'model timed out' });
      expect(failed.completedAt).not.toBeNull();
      expect(await runRow(failing.id)).toMatchObject({ status: 'FAILED', error: 'model timed out' });

      const cancel = expectData(await setStatus(user, cancelled.id, 'CANCELLED')).updateRunStatus;
      expect(cancel).toMatchObject({ status: 'CANCELLED', startedAt: null });
      expect(cancel.completedAt).not.toBeNull();
      expect(await runRow(cancelled.id)).toMatchObject({ status: 'CANCELLED', started_at: null });
    });

    it.each<[RunStatus, RunStatus]>([
      ['QUEUED', 'COMPLETED'],
      ['QUEUED', 'REQUIRES_ACTION'],
      ['QUEUED', 'QUEUED'],
      ['IN_PROGRESS', 'QUEUED'],
      ['REQUIRES_ACTION', 'COMPLETED'],
      ['COMPLETED', 'IN_PROGRESS'],
      ['FAILED', 'COMPLETED'],
      ['CANCELLED', 'QUEUED'],
    ])('%s → %s is refused with BAD_USER_INPUT and leaves the row unchanged', async (from, to) => {
      const user = newUserId();
      const run = await seed(app.db).run((await seed(app.db).thread(user)).id);
      await app.db.updateTable('runs').set({ status: from }).where('id', '=', run.id).execute();
      const before = await runRow(run.id);
      const response = await setStatus(user, run.id, to, 'should not be stored');
      expect(expectError(response, 'BAD_USER_INPUT').message).toContain(`${from} → ${to}`);
      expect(response.data).toBeNull();
      expect(await runRow(run.id)).toEqual(before);
    });

    it('refuses an error text over 10,000 characters', async () => {
      const user = newUserId();
      const run = await seed(app.db).run((await seed(app.db).thread(user)).id);
      expectError(await setStatus(user, run.id, 'FAILED', 'e'.repeat(10_001)), 'BAD_USER_INPUT');
      expect(await runRow(run.id)).toMatchObject({ status: 'QUEUED', error: null });
    });
  });

  it('Thread.runs pages newest first and filters by status', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const runs = [];
    for (let i = 0; i < 5; i++) {
      runs.push(await seed(app.db).run(thread.id, { i }));
      await pause(3);
    }
    const newestFirst = runs.map((run) => run.id).reverse();
    await app.db.updateTable('runs').set({ status: 'COMPLETED' }).where('id', 'in', [runs[0]!.id, runs[3]!.id]).execute();
    const query = 'query($id: ID!, $after: String, $s: RunStatus) { thread(id: $id) { runs(first: 2, after: $after, status: $s) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }';

    const walked: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const connection: IdConnection = expectData(await app.gql(user, query, { id: thread.id, after })).thread.runs;
      walked.push(...connection.edges.map((edge) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(walked).toEqual(newestFirst);

    const completed: IdConnection = expectData(await app.gql(user, query, { id: thread.id, s: 'COMPLETED' })).thread.runs;
    expect(completed.edges.map((edge) => edge.node.id)).toEqual([runs[3]!.id, runs[0]!.id]);
    expect(completed.pageInfo.hasNextPage).toBe(false);
  });

  it('Run.messages lists only the messages of that run, in seq order', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const [run, otherRun] = [await seed(app.db).run(thread.id), await seed(app.db).run(thread.id)];
    const send = (content: string, runId?: string) =>
      app.gql(user, 'mutation($t: ID!, $c: String!, $r: ID) { sendMessage(input: { threadId: $t, content: $c, runId: $r, role: ASSISTANT }) { id runId run { id } } }', {
        t: thread.id,
        c: content,
        r: runId,
      });
    const first = expectData(await send('one', run.id)).sendMessage;
    expect(first).toMatchObject({ runId: run.id, run: { id: run.id } });
    expectData(await send('unrelated'));
    expectData(await send('other run', otherRun.id));
    expectData(await send('two', run.id));

    const runMessages = async () =>
      expectData(await app.gql(user, 'query($id: ID!) { run(id: $id) { messages(first: 10) { edges { node { content seq runId } } } } }', { id: run.id })).run.messages.edges.map(
        (edge: { node: unknown }) => edge.node,
      );
    // Fast writes reach Postgres through the persister a moment after they are acknowledged.
    const expected = [
      { content: 'one', seq: 1, runId: run.id },
      { content: 'two', seq: 4, runId: run.id },
    ];
    await vi.waitFor(async () => expect(await runMessages()).toEqual(expected), { timeout: 10_000, interval: 25 });
  });

  describe('legacy run IDs', () => {
    it('a double thread_ prefix resolves to the canonical run', async () => {
      const user = newUserId();
      const run = await seed(app.db).run((await seed(app.db).thread(user)).id);
      const data = expectData(await app.gql(user, 'query($id: ID!) { run(id: $id) { id } node(id: $id) { id __typename } }', { id: `thread_${run.id}` }));
      expect(data).toEqual({ run: { id: run.id }, node: { id: run.id, __typename: 'Run' } });
    });

    it('run_<threadId>_<hex8> resolves to the run stored under its canonical ID', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user);
      const threadMs = thread.id.split('_')[2];
      const canonical = `${thread.id}_run_${threadMs}_c0ffee00` as RunId;
      await app.db.transaction().execute((trx) => insertRun(trx, { id: canonical, threadId: thread.id, metadata: { legacy: true }, actor: null }));

      const data = expectData(await app.gql(user, 'query($id: ID!) { run(id: $id) { id metadata } }', { id: `run_${thread.id}_c0ffee00` }));
      expect(data.run).toEqual({ id: canonical, metadata: { legacy: true } });
      expect(expectData(await setStatus(user, `run_${thread.id}_c0ffee00`, 'IN_PROGRESS')).updateRunStatus.id).toBe(canonical);
      expect((await runRow(canonical)).status).toBe('IN_PROGRESS');
    });

    it('a well-formed legacy ID of no run is null (not an error); a malformed one is INVALID_ID', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user);
      const absent = await app.gql(user, 'query($id: ID!) { run(id: $id) { id } }', { id: `run_${thread.id}_deadbeef` });
      expect(absent).toMatchObject({ data: { run: null } });
      expect(absent.errors).toBeUndefined();
      for (const malformed of [`run_${thread.id}`, `run_${thread.id}_DEADBEEF`, 'run_test-run', 'test-run']) {
        const response = await app.gql(user, 'query($id: ID!) { run(id: $id) { id } }', { id: malformed });
        expect(expectError(response, 'INVALID_ID').message).toContain(JSON.stringify(malformed));
      }
    });
  });

  describe('Postgres constraints', () => {
    it('reject a run whose thread_id is not the thread part of its ID', async () => {
      const user = newUserId();
      const [a, b] = [await seed(app.db).thread(user), await seed(app.db).thread(user)];
      const insert = (id: string, threadId: string) =>
        app.db.insertInto('runs').values({ id, thread_id: threadId, metadata: '{}', error: null, started_at: null, completed_at: null }).execute();
      await expect(insert(`${a.id}_run_1757372479002_9c1d22aa`, b.id)).rejects.toMatchObject({ code: '23514', constraint: 'runs_id_embeds_thread_id' });
      // A malformed suffix breaks both run ID checks; Postgres names whichever it evaluates first.
      await expect(insert(`${a.id}_run_12_9c1d22aa`, a.id)).rejects.toMatchObject({ code: '23514', constraint: expect.stringMatching(/^runs_id_/) });
      await expect(insert(`run_${a.id}_9c1d22aa`, a.id)).rejects.toMatchObject({ code: '23514' });
      expect(await app.db.selectFrom('runs').select('id').where('thread_id', 'in', [a.id, b.id]).execute()).toEqual([]);
    });

    it('reject a malformed thread ID and a message whose run is in another thread', async () => {
      const user = newUserId();
      await expect(app.db.insertInto('threads').values({ id: 'thread_thread_bad', owner_id: user, title: null, metadata: '{}' }).execute()).rejects.toMatchObject({
        code: '23514',
      });
      const [a, b] = [await seed(app.db).thread(user), await seed(app.db).thread(user)];
      const run = await seed(app.db).run(a.id);
      const message = { id: 'msg_1757372479002_1_0b1c2d3e', thread_id: b.id, run_id: run.id, role: 'USER' as const, content: 'x', metadata: '{}', seq: 1, client_message_id: null };
      await expect(app.db.insertInto('messages').values(message).execute()).rejects.toMatchObject({ code: '23514', constraint: 'messages_run_in_thread' });
    });
  });
});
