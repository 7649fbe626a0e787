import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunStatus } from '../../src/domain/run.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, subscriptionsHeld, type SocketClient } from '../support/ws-client.js';

const RUN_FIELDS = 'id threadId status error startedAt completedAt';
const START_RUN = `mutation($input: StartRunInput!) { startRun(input: $input) { ${RUN_FIELDS} } }`;
const CANCEL_RUN = `mutation($id: ID!) { cancelRun(id: $id) { ${RUN_FIELDS} } }`;
const UPDATE_RUN = `mutation($input: UpdateRunStatusInput!) { updateRunStatus(input: $input) { ${RUN_FIELDS} } }`;
const RUN_UPDATED = 'subscription($runId: ID!) { runUpdated(runId: $runId) { id status } }';
const THREAD_EVENTS = 'subscription($threadId: ID!) { threadEvents(threadId: $threadId) { __typename ... on RunStatusChanged { run { id status } } } }';
const DAY_MS = 86_400_000;

type Strategy = 'REJECT' | 'ENQUEUE' | 'INTERRUPT';

describe('run control: cancelRun and multitask strategies', () => {
  let app: TestApp;
  const clients: SocketClient[] = [];
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await Promise.all(clients.map(({ client }) => client.dispose()));
    await app.stop();
  });

  const startRun = (user: string, threadId: string, multitaskStrategy?: Strategy) =>
    app.gql(user, START_RUN, { input: { threadId, ...(multitaskStrategy ? { multitaskStrategy } : {}) } });
  const cancelRun = (user: string, id: string) => app.gql(user, CANCEL_RUN, { id });
  const setStatus = (user: string, id: string, status: RunStatus, error?: string) => app.gql(user, UPDATE_RUN, { input: { id, status, error } });
  /** A run of a fresh thread, moved straight to `status` in Postgres. */
  async function runIn(status: RunStatus, threadId?: ThreadId, user = newUserId()) {
    const thread = threadId ?? (await seed(app.db).thread(user)).id;
    const run = await seed(app.db).run(thread);
    await app.db.updateTable('runs').set({ status }).where('id', '=', run.id).execute();
    return { user, threadId: thread, runId: run.id };
  }
  const runRow = (id: string) => app.db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const runsOf = (threadId: string) =>
    app.db.selectFrom('runs').select(['id', 'status', 'created_at']).where('thread_id', '=', threadId).orderBy('created_at').orderBy('id').execute();
  const archiveThread = (threadId: string) => app.db.updateTable('threads').set({ status: 'ARCHIVED' }).where('id', '=', threadId).execute();
  async function connect(user: string): Promise<SocketClient> {
    const connected = await connectAs(app.url, { userId: user });
    clients.push(connected);
    return connected;
  }

  describe('cancelRun', () => {
    it('cancels a QUEUED run at once: CANCELLED, completed, never started', async () => {
      const { user, runId } = await runIn('QUEUED');
      const cancelled = expectData(await cancelRun(user, runId)).cancelRun;
      expect(cancelled).toMatchObject({ id: runId, status: 'CANCELLED', startedAt: null });
      expect(cancelled.completedAt).not.toBeNull();
      expect(await runRow(runId)).toMatchObject({ status: 'CANCELLED', started_at: null, completed_at: new Date(cancelled.completedAt) });
    });

    it.each<RunStatus>(['IN_PROGRESS', 'REQUIRES_ACTION'])('asks a %s run to stop: CANCELLING, then the agent confirms CANCELLED', async (status) => {
      const { user, runId } = await runIn(status);
      expect(expectData(await cancelRun(user, runId)).cancelRun).toMatchObject({ status: 'CANCELLING', completedAt: null });
      expect(await runRow(runId)).toMatchObject({ status: 'CANCELLING', completed_at: null });
      const confirmed = expectData(await setStatus(user, runId, 'CANCELLED')).updateRunStatus;
      expect(confirmed.status).toBe('CANCELLED');
      expect((await runRow(runId)).completed_at).toEqual(new Date(confirmed.completedAt));
    });

    it('a CANCELLING run comes back unchanged; it may end FAILED, never COMPLETED or back at work', async () => {
      const { user, runId } = await runIn('CANCELLING');
      const before = await runRow(runId);
      expect(expectData(await cancelRun(user, runId)).cancelRun).toMatchObject({ status: 'CANCELLING' });
      expect(await runRow(runId)).toEqual(before);
      for (const to of ['COMPLETED', 'IN_PROGRESS', 'REQUIRES_ACTION', 'QUEUED'] as const) {
        expect(expectError(await setStatus(user, runId, to), 'BAD_USER_INPUT').message).toContain(`CANCELLING → ${to}`);
      }
      expect(await runRow(runId)).toEqual(before);
      expect(expectData(await setStatus(user, runId, 'FAILED', 'stopped mid-call')).updateRunStatus).toMatchObject({ status: 'FAILED', error: 'stopped mid-call' });
    });

    it.each<RunStatus>(['COMPLETED', 'FAILED', 'CANCELLED'])('refuses a %s run with BAD_USER_INPUT and changes nothing', async (status) => {
      const { user, runId } = await runIn(status);
      const before = await runRow(runId);
      const response = await cancelRun(user, runId);
      expect(expectError(response, 'BAD_USER_INPUT').message).toContain(`${status} → CANCELLED`);
      expect(response.data).toBeNull();
      expect(await runRow(runId)).toEqual(before);
    });

    it('updateRunStatus cannot move a run to CANCELLING: only a cancel asks for it', async () => {
      const { user, runId } = await runIn('IN_PROGRESS');
      expect(expectError(await setStatus(user, runId, 'CANCELLING'), 'BAD_USER_INPUT').message).toMatch(/cancelRun/);
      expect((await runRow(runId)).status).toBe('IN_PROGRESS');
    });

    it("another user's run is NOT_FOUND and unchanged", async () => {
      const { runId } = await runIn('IN_PROGRESS');
      const before = await runRow(runId);
      expectError(await cancelRun(newUserId('intruder'), runId), 'NOT_FOUND');
      expect(await runRow(runId)).toEqual(before);
    });

    it('is allowed in an archived thread, since it ends work; the agent confirms there too', async () => {
      const queued = await runIn('QUEUED');
      const working = await runIn('IN_PROGRESS', queued.threadId, queued.user);
      await archiveThread(queued.threadId);
      expect(expectData(await cancelRun(queued.user, queued.runId)).cancelRun.status).toBe('CANCELLED');
      expect(expectData(await cancelRun(queued.user, working.runId)).cancelRun.status).toBe('CANCELLING');
      expect(expectData(await setStatus(queued.user, working.runId, 'CANCELLED')).updateRunStatus.status).toBe('CANCELLED');
    });

    it('every subscriber sees CANCELLING and then CANCELLED, on runUpdated and threadEvents alike', async () => {
      const { user, threadId, runId } = await runIn('IN_PROGRESS');
      const [{ client: a }, { client: b }] = [await connect(user), await connect(user)];
      const before = app.realtime.subscriptions;
      const runSubs = [collect(a, RUN_UPDATED, { runId }), collect(b, RUN_UPDATED, { runId })];
      const threadSub = collect(b, THREAD_EVENTS, { threadId });
      await subscriptionsHeld(app, before + 3);

      expectData(await cancelRun(user, runId));
      for (const sub of runSubs) expect((await sub.received(1)).map((e) => e.runUpdated)).toEqual([{ id: runId, status: 'CANCELLING' }]);
      expectData(await setStatus(user, runId, 'CANCELLED'));
      const expected = [
        { id: runId, status: 'CANCELLING' },
        { id: runId, status: 'CANCELLED' },
      ];
      for (const sub of runSubs) expect((await sub.received(2)).map((e) => e.runUpdated)).toEqual(expected);
      expect((await threadSub.received(2)).map((e) => e.threadEvents)).toEqual(expected.map((run) => ({ __typename: 'RunStatusChanged', run })));
      for (const sub of [...runSubs, threadSub]) sub.stop();
    });

    it('the archive keeps the transitions: a CANCELLING run counts as CANCELLING, then as CANCELLED', async () => {
      const { user, runId } = await runIn('IN_PROGRESS');
      const now = Date.now();
      const counts = async () =>
        expectData(
          await app.gql(user, 'query($from: DateTime!, $to: DateTime!) { analytics(from: $from, to: $to) { runStatusCounts { status count } } }', {
            from: new Date(now - DAY_MS).toISOString(),
            to: new Date(now + DAY_MS).toISOString(),
          }),
        ).analytics.runStatusCounts;
      expectData(await cancelRun(user, runId));
      await vi.waitFor(async () => expect(await counts()).toEqual([{ status: 'CANCELLING', count: 1 }]), { timeout: 15_000, interval: 100 });
      expectData(await setStatus(user, runId, 'CANCELLED'));
      await vi.waitFor(async () => expect(await counts()).toEqual([{ status: 'CANCELLED', count: 1 }]), { timeout: 15_000, interval: 100 });
    });
  });

  describe('startRun multitaskStrategy', () => {
    it('REJECT on an idle thread starts a run; with a run active it is THREAD_BUSY and changes nothing', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user);
      const first = expectData(await startRun(user, thread.id, 'REJECT')).startRun;
      expect(first.status).toBe('QUEUED');
      for (const status of ['QUEUED', 'IN_PROGRESS', 'REQUIRES_ACTION', 'CANCELLING'] as const) {
        await app.db.updateTable('runs').set({ status }).where('id', '=', first.id).execute();
        const before = await runsOf(thread.id);
        const response = await startRun(user, thread.id, 'REJECT');
        expect(expectError(response, 'THREAD_BUSY').message).toContain(first.id);
        expect(response.data).toBeNull();
        expect(await runsOf(thread.id)).toEqual(before);
      }
      // Only active runs count: once the run is final, REJECT starts the next.
      await app.db.updateTable('runs').set({ status: 'COMPLETED' }).where('id', '=', first.id).execute();
      expect(expectData(await startRun(user, thread.id, 'REJECT')).startRun.status).toBe('QUEUED');
    });

    it('ENQUEUE (the default) queues each new run behind the active ones, in createdAt order', async () => {
      const { user, threadId, runId: working } = await runIn('IN_PROGRESS');
      const queued = [
        expectData(await startRun(user, threadId)).startRun,
        expectData(await startRun(user, threadId, 'ENQUEUE')).startRun,
        expectData(await startRun(user, threadId, 'ENQUEUE')).startRun,
      ];
      expect(queued.map((run) => run.status)).toEqual(['QUEUED', 'QUEUED', 'QUEUED']);
      expect((await runsOf(threadId)).map((row) => [row.id, row.status])).toEqual([
        [working, 'IN_PROGRESS'],
        ...queued.map((run) => [run.id, 'QUEUED']),
      ]);
    });

    it('INTERRUPT cancels QUEUED runs, asks working ones to stop, leaves CANCELLING ones, then queues the new run', async () => {
      const { user, threadId, runId: working } = await runIn('IN_PROGRESS');
      const waiting = await runIn('REQUIRES_ACTION', threadId, user);
      const stopping = await runIn('CANCELLING', threadId, user);
      const queued = await runIn('QUEUED', threadId, user);
      const done = await runIn('COMPLETED', threadId, user);
      const { client } = await connect(user);
      const before = app.realtime.subscriptions;
      const events = collect(client, THREAD_EVENTS, { threadId });
      await subscriptionsHeld(app, before + 1);

      const started = expectData(await startRun(user, threadId, 'INTERRUPT')).startRun;
      expect(started.status).toBe('QUEUED');
      const statuses = new Map((await runsOf(threadId)).map((row) => [row.id, row.status]));
      expect(Object.fromEntries(statuses)).toEqual({
        [working]: 'CANCELLING',
        [waiting.runId]: 'CANCELLING',
        [stopping.runId]: 'CANCELLING',
        [queued.runId]: 'CANCELLED',
        [done.runId]: 'COMPLETED',
        [started.id]: 'QUEUED',
      });
      // One event per run that changed, the new run last.
      const seen = (await events.received(4)).map((e) => e.threadEvents.run);
      expect(seen).toEqual([
        { id: working, status: 'CANCELLING' },
        { id: waiting.runId, status: 'CANCELLING' },
        { id: queued.runId, status: 'CANCELLED' },
        { id: started.id, status: 'QUEUED' },
      ]);
      events.stop();
    });

    it('INTERRUPT is all or nothing: refused on an archived thread, every run is left as it was', async () => {
      const { user, threadId } = await runIn('IN_PROGRESS');
      await runIn('QUEUED', threadId, user);
      await archiveThread(threadId);
      const before = await runsOf(threadId);
      for (const strategy of ['INTERRUPT', 'REJECT', 'ENQUEUE'] as const) {
        expect(expectError(await startRun(user, threadId, strategy), 'BAD_USER_INPUT').message).toMatch(/archived/);
      }
      expect(await runsOf(threadId)).toEqual(before);
    });

    it("another user's thread is NOT_FOUND for every strategy, and its runs are unchanged", async () => {
      const { threadId } = await runIn('IN_PROGRESS');
      const before = await runsOf(threadId);
      for (const strategy of ['INTERRUPT', 'REJECT', 'ENQUEUE'] as const) expectError(await startRun(newUserId('intruder'), threadId, strategy), 'NOT_FOUND');
      expect(await runsOf(threadId)).toEqual(before);
    });
  });

  describe('under concurrency', () => {
    it('8 concurrent REJECTs on an idle thread: exactly one starts a run, the others are THREAD_BUSY', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user);
      const responses = await Promise.all(Array.from({ length: 8 }, () => startRun(user, thread.id, 'REJECT')));
      const started = responses.filter((response) => response.data?.startRun);
      expect(started).toHaveLength(1);
      for (const response of responses.filter((r) => !r.data?.startRun)) expectError(response, 'THREAD_BUSY');
      expect((await runsOf(thread.id)).map((row) => row.id)).toEqual([started[0]!.data.startRun.id]);
    });

    it('8 concurrent INTERRUPTs: all succeed, one after the other; exactly one run is left QUEUED, the one accepted last', async () => {
      const { user, threadId, runId: working } = await runIn('IN_PROGRESS');
      const responses = await Promise.all(Array.from({ length: 8 }, () => startRun(user, threadId, 'INTERRUPT')));
      const ids = responses.map((response) => expectData(response).startRun.id as string);
      const rows = await runsOf(threadId);
      expect(rows).toHaveLength(9);
      expect(rows.find((row) => row.id === working)?.status).toBe('CANCELLING');
      const left = rows.filter((row) => row.status === 'QUEUED');
      expect(left).toHaveLength(1);
      // Each INTERRUPT cancelled the run queued before it, so the survivor is the newest.
      expect(left[0]!.id).toBe(rows.at(-1)!.id);
      expect(rows.filter((row) => ids.includes(row.id) && row.status === 'CANCELLED')).toHaveLength(7);
    });

    it('8 concurrent ENQUEUEs behind a working run: all queued, createdAt strictly in acceptance order', async () => {
      const { user, threadId } = await runIn('IN_PROGRESS');
      await Promise.all(Array.from({ length: 8 }, () => startRun(user, threadId, 'ENQUEUE').then(expectData)));
      const rows = await runsOf(threadId);
      expect(rows.filter((row) => row.status === 'QUEUED')).toHaveLength(8);
      const times = rows.map((row) => row.created_at.getTime());
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    });

    it('cancelRun racing INTERRUPT on one run: the run ends CANCELLING either way, and exactly one new run is queued', async () => {
      const { user, threadId, runId } = await runIn('IN_PROGRESS');
      const [cancelled, started] = await Promise.all([cancelRun(user, runId), startRun(user, threadId, 'INTERRUPT')]);
      expect(expectData(cancelled).cancelRun.status).toBe('CANCELLING');
      expect(expectData(started).startRun.status).toBe('QUEUED');
      expect((await runsOf(threadId)).map((row) => row.status)).toEqual(['CANCELLING', 'QUEUED']);
    });
    it('updateRunStatus racing INTERRUPT (each announces through an outbox row of the thread): one after the other, no deadlock', async () => {
      const { user, threadId, runId } = await runIn('IN_PROGRESS');
      const [reported, started] = await Promise.all([setStatus(user, runId, 'REQUIRES_ACTION'), startRun(user, threadId, 'INTERRUPT')]);
      expectData(started);
      // The report lands first and the interrupt stops the run from there, or the interrupt lands
      // first and the report is refused: a CANCELLING run goes back to no work.
      if (reported.errors) expect(expectError(reported, 'BAD_USER_INPUT').message).toContain('CANCELLING → REQUIRES_ACTION');
      else expect(reported.data.updateRunStatus.status).toBe('REQUIRES_ACTION');
      expect((await runsOf(threadId)).map((row) => row.status)).toEqual(['CANCELLING', 'QUEUED']);
    });
  });

  describe('Thread.activeRun', () => {
    const ACTIVE_RUN = 'query($id: ID!) { thread(id: $id) { activeRun { id status } } }';
    const activeRun = async (user: string, threadId: string) => expectData(await app.gql(user, ACTIVE_RUN, { id: threadId })).thread.activeRun;

    it('is the oldest working run, else the oldest QUEUED one, else null', async () => {
      const user = newUserId();
      const thread = await seed(app.db).thread(user);
      expect(await activeRun(user, thread.id)).toBeNull();
      const first = expectData(await startRun(user, thread.id)).startRun;
      const second = expectData(await startRun(user, thread.id)).startRun;
      expect(await activeRun(user, thread.id)).toEqual({ id: first.id, status: 'QUEUED' });
      // A newer run at work comes before an older one still waiting.
      expectData(await setStatus(user, second.id, 'IN_PROGRESS'));
      expect(await activeRun(user, thread.id)).toEqual({ id: second.id, status: 'IN_PROGRESS' });
      expectData(await cancelRun(user, second.id));
      expect(await activeRun(user, thread.id)).toEqual({ id: second.id, status: 'CANCELLING' });
      expectData(await setStatus(user, second.id, 'CANCELLED'));
      expect(await activeRun(user, thread.id)).toEqual({ id: first.id, status: 'QUEUED' });
      expectData(await cancelRun(user, first.id));
      expect(await activeRun(user, thread.id)).toBeNull();
    });

    it('is batched: a page of threads costs one activeRun query', async () => {
      const user = newUserId();
      for (let i = 0; i < 5; i++) await runIn(i % 2 ? 'IN_PROGRESS' : 'QUEUED', (await seed(app.db).thread(user)).id, user);
      const statements: string[] = [];
      const counting = await startTestApp({ onQuery: (event) => statements.push(event.query.sql) });
      try {
        const page = expectData(await counting.gql(user, '{ threads(first: 10) { edges { node { id activeRun { id status threadId } } } } }')).threads.edges;
        expect(page).toHaveLength(5);
        for (const { node } of page) expect(node.activeRun.threadId).toBe(node.id);
        expect(statements.filter((text) => text.includes('runs.findActiveRunsByThreadIds'))).toHaveLength(1);
      } finally {
        await counting.stop();
      }
    });
  });
});
