import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

// An archived thread is history: no new content (messages, deltas) and no new or resumed runs.
// Finishing what was under way (completing a streamed reply, ending a run) and changing the
// thread's own attributes (title, metadata, archiving again) stay possible. On both write paths.
describe.each([
  ['with Redis', {}],
  ['without Redis', { DISABLE_REDIS: 'true' }],
])('writes to an archived thread, %s', (_path, env) => {
  let app: TestApp;
  let user: string;
  let threadId: string;
  let streamingId: string;
  let runningRunId: string;
  let queuedRunId: string;

  beforeAll(async () => {
    app = await startTestApp({ env });
    user = newUserId();
    const gql = async (query: string, variables: Record<string, unknown> = {}) => expectData(await app.gql(user, query, variables));
    threadId = (await gql('mutation { createThread { id } }')).createThread.id;
    await gql('mutation($t: ID!) { sendMessage(input: { threadId: $t, content: "Plan a trip" }) { id } }', { t: threadId });
    streamingId = (await gql('mutation($t: ID!) { startMessage(input: { threadId: $t }) { id } }', { t: threadId })).startMessage.id;
    await gql('mutation($m: ID!) { appendMessageDelta(input: { id: $m, delta: "Sure" }) { id } }', { m: streamingId });
    runningRunId = (await gql('mutation($t: ID!) { startRun(input: { threadId: $t }) { id } }', { t: threadId })).startRun.id;
    await gql('mutation($r: ID!) { updateRunStatus(input: { id: $r, status: IN_PROGRESS }) { id } }', { r: runningRunId });
    queuedRunId = (await gql('mutation($t: ID!) { startRun(input: { threadId: $t }) { id } }', { t: threadId })).startRun.id;
    await gql('mutation($t: ID!) { archiveThread(id: $t) { status } }', { t: threadId });
  });
  afterAll(() => app?.stop());

  const refused: Array<[what: string, query: string, variables: () => Record<string, unknown>]> = [
    ['sendMessage', 'mutation($t: ID!) { sendMessage(input: { threadId: $t, content: "more" }) { id } }', () => ({ t: threadId })],
    ['startMessage', 'mutation($t: ID!) { startMessage(input: { threadId: $t }) { id } }', () => ({ t: threadId })],
    ['appendMessageDelta', 'mutation($m: ID!) { appendMessageDelta(input: { id: $m, delta: " more" }) { id } }', () => ({ m: streamingId })],
    ['startRun', 'mutation($t: ID!) { startRun(input: { threadId: $t }) { id } }', () => ({ t: threadId })],
    ['updateRunStatus to a non-final status', 'mutation($r: ID!) { updateRunStatus(input: { id: $r, status: IN_PROGRESS }) { id } }', () => ({ r: queuedRunId })],
    ['updateRunStatus to REQUIRES_ACTION', 'mutation($r: ID!) { updateRunStatus(input: { id: $r, status: REQUIRES_ACTION }) { id } }', () => ({ r: runningRunId })],
  ];

  it.each(refused)('%s is refused with BAD_USER_INPUT and changes nothing', async (_what, query, variables) => {
    const before = await ownerRows(app.db, user);
    const error = expectError(await app.gql(user, query, variables()), 'BAD_USER_INPUT');
    expect(error.message).toMatch(/archived/);
    expect(await ownerRows(app.db, user)).toEqual(before);
  });

  it('completing a streamed reply is allowed: it adds nothing, it finishes', async () => {
    const data = expectData(await app.gql(user, 'mutation($m: ID!) { completeMessage(id: $m) { status content } }', { m: streamingId }));
    expect(data.completeMessage).toEqual({ status: 'COMPLETED', content: 'Sure' });
  });

  it('ending runs is allowed (CANCELLED, FAILED, COMPLETED)', async () => {
    const end = (id: string, status: string) =>
      app.gql(user, 'mutation($r: ID!, $s: RunStatus!) { updateRunStatus(input: { id: $r, status: $s }) { status } }', { r: id, s: status });
    expect(expectData(await end(queuedRunId, 'CANCELLED')).updateRunStatus.status).toBe('CANCELLED');
    expect(expectData(await end(runningRunId, 'COMPLETED')).updateRunStatus.status).toBe('COMPLETED');
    const row = await app.db.selectFrom('runs').select('status').where('id', '=', runningRunId).executeTakeFirstOrThrow();
    expect(row.status).toBe('COMPLETED');
  });

  it('the thread itself may still be renamed, retitled, re-tagged and archived again', async () => {
    const renamed = expectData(await app.gql(user, 'mutation($t: ID!) { updateThread(input: { id: $t, title: "Old trip", metadata: { tag: "past" } }) { title metadata status } }', { t: threadId }));
    expect(renamed.updateThread).toEqual({ title: 'Old trip', metadata: { tag: 'past' }, status: 'ARCHIVED' });
    expect(expectData(await app.gql(user, 'mutation($t: ID!) { generateThreadTitle(id: $t) { title } }', { t: threadId })).generateThreadTitle.title).toBe('Plan a trip');
    expect(expectData(await app.gql(user, 'mutation($t: ID!) { archiveThread(id: $t) { status } }', { t: threadId })).archiveThread.status).toBe('ARCHIVED');
  });
});

describe('a delta to a reply whose thread was archived while it streamed', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app?.stop());

  it('is refused on the fast path once Redis knows of the archive', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const started = expectData(await app.gql(user, 'mutation($t: ID!) { startMessage(input: { threadId: $t }) { id } }', { t: thread.id }));
    expectData(await app.gql(user, 'mutation($t: ID!) { archiveThread(id: $t) { id } }', { t: thread.id }));
    const response = await app.gql(user, 'mutation($m: ID!) { appendMessageDelta(input: { id: $m, delta: "late" }) { id } }', { m: started.startMessage.id });
    expectError(response, 'BAD_USER_INPUT');
  });
});
