import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunStatus } from '../../src/domain/run.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, subscriptionsHeld } from '../support/ws-client.js';

const RUN_FIELDS = 'id status model usage { inputTokens outputTokens totalTokens }';
const UPDATE_RUN = `mutation($input: UpdateRunStatusInput!) { updateRunStatus(input: $input) { ${RUN_FIELDS} } }`;
const TOKEN_USAGE = 'query($from: DateTime!, $to: DateTime!) { analytics(from: $from, to: $to) { tokenUsage { day model inputTokens outputTokens } } }';
const DAY_MS = 86_400_000;

interface Report {
  model?: string | null;
  usage?: { inputTokens: unknown; outputTokens: unknown } | null;
}

describe('run usage: Run.model and Run.usage reported with updateRunStatus', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  const report = (user: string, id: string, status: RunStatus, extra: Report = {}) => app.gql(user, UPDATE_RUN, { input: { id, status, ...extra } });
  const usageRow = (id: string) =>
    app.db.selectFrom('runs').select(['status', 'model', 'input_tokens', 'output_tokens']).where('id', '=', id).executeTakeFirstOrThrow();
  async function newRun(user = newUserId()) {
    const run = await seed(app.db).run((await seed(app.db).thread(user)).id);
    return { user, runId: run.id };
  }
  /** The viewer's tokenUsage today, once the archive shows `expected` (the archiver runs behind). */
  async function expectTokenUsage(user: string, expected: unknown[]) {
    const now = Date.now();
    const range = { from: new Date(now - DAY_MS).toISOString(), to: new Date(now + DAY_MS).toISOString() };
    await vi.waitFor(async () => expect(expectData(await app.gql(user, TOKEN_USAGE, range)).analytics.tokenUsage).toEqual(expected), {
      timeout: 15_000,
      interval: 100,
    });
  }

  it('is null until reported; a report sets the model and usage, derives the total, and is stored in Postgres', async () => {
    const { user, runId } = await newRun();
    const read = async () => expectData(await app.gql(user, `query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id: runId })).run;
    expect(await read()).toEqual({ id: runId, status: 'QUEUED', model: null, usage: null });

    const started = expectData(await report(user, runId, 'IN_PROGRESS', { model: 'claude-x', usage: { inputTokens: 1200, outputTokens: 34 } })).updateRunStatus;
    expect(started).toEqual({ id: runId, status: 'IN_PROGRESS', model: 'claude-x', usage: { inputTokens: 1200, outputTokens: 34, totalTokens: 1234 } });
    expect(await usageRow(runId)).toEqual({ status: 'IN_PROGRESS', model: 'claude-x', input_tokens: 1200, output_tokens: 34 });
    expect(await read()).toEqual(started);
  });

  it('a later report replaces the totals (not adds to them); a transition without one keeps them', async () => {
    const { user, runId } = await newRun();
    expectData(await report(user, runId, 'IN_PROGRESS', { model: 'm-1', usage: { inputTokens: 10, outputTokens: 5 } }));
    const paused = expectData(await report(user, runId, 'REQUIRES_ACTION')).updateRunStatus;
    expect(paused).toMatchObject({ model: 'm-1', usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } });
    expectData(await report(user, runId, 'IN_PROGRESS', { model: null, usage: null }));
    const done = expectData(await report(user, runId, 'COMPLETED', { model: 'm-2', usage: { inputTokens: 0, outputTokens: 1_000_000_000 } })).updateRunStatus;
    expect(done).toMatchObject({ model: 'm-2', usage: { inputTokens: 0, outputTokens: 1_000_000_000, totalTokens: 1_000_000_000 } });
    expect(await usageRow(runId)).toEqual({ status: 'COMPLETED', model: 'm-2', input_tokens: 0, output_tokens: 1_000_000_000 });
  });

  it('runUpdated subscribers receive the model and usage with the transition', async () => {
    const { user, runId } = await newRun();
    const { client } = await connectAs(app.url, { userId: user });
    try {
      const before = app.realtime.subscriptions;
      const sub = collect(client, `subscription($runId: ID!) { runUpdated(runId: $runId) { ${RUN_FIELDS} } }`, { runId });
      await subscriptionsHeld(app, before + 1);
      expectData(await report(user, runId, 'IN_PROGRESS', { model: 'live-model', usage: { inputTokens: 9, outputTokens: 1 } }));
      expect((await sub.received(1)).map((event) => event.runUpdated)).toEqual([
        { id: runId, status: 'IN_PROGRESS', model: 'live-model', usage: { inputTokens: 9, outputTokens: 1, totalTokens: 10 } },
      ]);
      sub.stop();
    } finally {
      await client.dispose();
    }
  });

  it.each<[string, Report]>([
    ['negative input tokens', { usage: { inputTokens: -1, outputTokens: 0 } }],
    ['negative output tokens', { usage: { inputTokens: 0, outputTokens: -5 } }],
    ['more than a billion tokens', { usage: { inputTokens: 1_000_000_001, outputTokens: 0 } }],
    ['an empty model', { model: '' }],
    ['a model over 200 characters', { model: 'm'.repeat(201), usage: { inputTokens: 1, outputTokens: 1 } }],
  ])('refuses %s with BAD_USER_INPUT, changing neither the status nor the usage', async (_label, extra) => {
    const { user, runId } = await newRun();
    expectData(await report(user, runId, 'IN_PROGRESS', { model: 'kept', usage: { inputTokens: 3, outputTokens: 4 } }));
    const before = await usageRow(runId);

    const response = await report(user, runId, 'COMPLETED', extra);
    expectError(response, 'BAD_USER_INPUT');
    expect(response.data).toBeNull();
    expect(await usageRow(runId)).toEqual(before);
    expect(before).toEqual({ status: 'IN_PROGRESS', model: 'kept', input_tokens: 3, output_tokens: 4 });
  });

  it('refuses a report riding on an illegal transition, changing nothing', async () => {
    const { user, runId } = await newRun();
    expectError(await report(user, runId, 'COMPLETED', { model: 'm', usage: { inputTokens: 1, outputTokens: 1 } }), 'BAD_USER_INPUT');
    expect(await usageRow(runId)).toEqual({ status: 'QUEUED', model: null, input_tokens: null, output_tokens: null });
  });

  it("Analytics.tokenUsage sums each run's latest report once per day and model, for the viewer only", async () => {
    const user = newUserId();
    const threadId = (await seed(app.db).thread(user)).id;
    const runOf = async () => (await seed(app.db).run(threadId)).id;
    const [first, second, third, silent, modelOnly] = [await runOf(), await runOf(), await runOf(), await runOf(), await runOf()];
    // Reported three times: only the last report counts, though the archive has a row for each.
    expectData(await report(user, first, 'IN_PROGRESS', { model: 'm-a', usage: { inputTokens: 10, outputTokens: 1 } }));
    expectData(await report(user, first, 'REQUIRES_ACTION', { usage: { inputTokens: 50, outputTokens: 5 } }));
    expectData(await report(user, first, 'IN_PROGRESS'));
    expectData(await report(user, first, 'COMPLETED', { usage: { inputTokens: 100, outputTokens: 20 } }));
    // Usage reported, then a cancel (no report) and the agent's confirmation: still counted once.
    expectData(await report(user, second, 'IN_PROGRESS', { model: 'm-a', usage: { inputTokens: 7, outputTokens: 3 } }));
    expectData(await app.gql(user, 'mutation($id: ID!) { cancelRun(id: $id) { id } }', { id: second }));
    expectData(await report(user, second, 'CANCELLED'));
    expectData(await report(user, third, 'IN_PROGRESS', { usage: { inputTokens: 1, outputTokens: 2 } }));
    expectData(await report(user, silent, 'IN_PROGRESS'));
    expectData(await report(user, modelOnly, 'IN_PROGRESS', { model: 'm-b' }));
    // Another user's run of the same model, reported meanwhile.
    const other = await newRun();
    expectData(await report(other.user, other.runId, 'IN_PROGRESS', { model: 'm-a', usage: { inputTokens: 999, outputTokens: 999 } }));

    // The day the runs were created (all within moments of each other).
    const day = (await app.db.selectFrom('runs').select('created_at').where('id', '=', first).executeTakeFirstOrThrow()).created_at.toISOString().slice(0, 10);
    await expectTokenUsage(user, [
      { day, model: 'm-a', inputTokens: 107, outputTokens: 23 },
      { day, model: null, inputTokens: 1, outputTokens: 2 },
    ]);
    await expectTokenUsage(other.user, [{ day, model: 'm-a', inputTokens: 999, outputTokens: 999 }]);
    await expectTokenUsage(newUserId(), []);
  });
});
