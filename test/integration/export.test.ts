import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ids } from '../../src/ids/generate-ids.js';
import { insertMessageRecords } from '../../src/repositories/message-records-repository.js';
import type { MessageRecord } from '../../src/storage/message-record.js';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, tokenFor, type TestApp } from '../support/test-app.js';

type Line = Record<string, any> & { type: string };

/** Reads an NDJSON response line by line as it streams. */
async function readLines(response: Response): Promise<Line[]> {
  const lines: Line[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    const complete = buffered.split('\n');
    buffered = complete.pop()!;
    for (const line of complete) lines.push(JSON.parse(line));
  }
  expect(buffered).toBe('');
  return lines;
}

describe('GET /export', () => {
  let app: TestApp;
  beforeAll(async () => void (app = await startTestApp()));
  afterAll(() => app?.stop());

  const exportAs = async (userId: string, init: RequestInit = {}) =>
    fetch(new URL('/export', app.url), { ...init, headers: { authorization: `Bearer ${await tokenFor(userId)}` } });

  it('streams 10,000 messages, runs and threads as NDJSON that round-trips what the API shows, and nothing of another user', async () => {
    const [user, other] = [newUserId(), newUserId()];
    const big = await seed(app.db).thread(user, { title: 'big', metadata: { kind: 'bulk' } });
    const small = await seed(app.db).thread(user, { title: 'small' });
    await seed(app.db).thread(other, { title: 'not yours' });
    const run = await seed(app.db).run(small.id, { model: 'm' });
    const createdAt = new Date().toISOString();
    for (let from = 1; from <= 10_000; from += 1_000) {
      const records: MessageRecord[] = Array.from({ length: 1_000 }, (_, i) => ({
        id: ids.messageId(), threadId: big.id, ownerId: user, runId: null, role: 'USER', content: `message ${from + i}`, parts: null,
        metadata: { n: from + i }, seq: from + i, clientMessageId: null, createdAt, status: 'COMPLETED', actor: null, revision: 1, editedAt: null, deletedAt: null,
      }));
      await insertMessageRecords(app.db, records);
    }
    const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }';
    expectData(await app.gql(user, SEND, { input: { threadId: small.id, runId: run.id, role: 'ASSISTANT', parts: [{ text: 'hi' }, { toolCall: { callId: 'c1', name: 'f', arguments: [1] } }] } }));
    // Acked on the fast path a moment ago: the export waits for it to reach Postgres.
    const fast = expectData(await app.gql(user, SEND, { input: { threadId: small.id, content: 'just now' } })).sendMessage;

    const response = await exportAs(user);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = await readLines(response);
    expect(lines[0]).toMatchObject({ type: 'export', format: 1, userId: user });
    expect(lines.at(-1)).toEqual({ type: 'end', threads: 2, runs: 1, messages: 10_002 });
    expect(lines.filter((line) => line.type === 'thread').map((line) => line.title).sort()).toEqual(['big', 'small']);
    const bigMessages = lines.filter((line) => line.type === 'message' && line.threadId === big.id);
    expect(bigMessages.map((line) => line.seq)).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
    expect(JSON.stringify(lines)).not.toContain('not yours');
    expect(lines.some((line) => line.id === fast.id)).toBe(true);

    // What the API shows of the small thread, field for field.
    const PAGE = `query($id: ID!) { thread(id: $id) { id title status metadata createdAt updatedAt
      runs(first: 5) { edges { node { id status metadata createdAt } } }
      messages(first: 5) { edges { node { id seq role content metadata runId clientMessageId actor status createdAt
        parts { __typename ... on TextPart { text } ... on ToolCallPart { callId name arguments } } } } } } }`;
    const shown = expectData(await app.gql(user, PAGE, { id: small.id })).thread;
    const exported = (type: string) => lines.filter((line) => line.type === type && (line.threadId ?? line.id) === small.id);
    const [thread] = exported('thread');
    expect({ id: thread!.id, title: thread!.title, status: thread!.status, metadata: thread!.metadata, createdAt: thread!.createdAt, updatedAt: thread!.updatedAt })
      .toEqual({ id: shown.id, title: shown.title, status: shown.status, metadata: shown.metadata, createdAt: shown.createdAt, updatedAt: shown.updatedAt });
    expect(exported('run').map(({ id, status, metadata, createdAt: at }) => ({ id, status, metadata, createdAt: at })))
      .toEqual(shown.runs.edges.map((edge: any) => edge.node));
    const typename = { text: 'TextPart', toolCall: 'ToolCallPart' } as Record<string, string>;
    expect(exported('message').map((line) => ({
      id: line.id, seq: line.seq, role: line.role, content: line.content, metadata: line.metadata, runId: line.runId, clientMessageId: line.clientMessageId,
      actor: line.actor, status: line.status, createdAt: line.createdAt,
      parts: (line.parts ?? [{ type: 'text', text: line.content }]).map(({ type, ...rest }: any) => ({ __typename: typename[type], ...rest })),
    }))).toEqual(shown.messages.edges.map((edge: any) => edge.node));
  }, 60_000);

  it("carries each message's rating and each run's model and usage", async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const [rated, unrated] = (await seed(app.db).messages(thread.id, ['good answer', 'no opinion'], 'ASSISTANT')) as Array<{ id: string }>;
    const run = await seed(app.db).run(thread.id);
    expectData(await app.gql(user, 'mutation($id: ID!) { rateMessage(input: { id: $id, score: 1, comment: "thanks" }) { id } }', { id: rated!.id }));
    expectData(await app.gql(user, 'mutation($id: ID!) { updateRunStatus(input: { id: $id, status: IN_PROGRESS, model: "m", usage: { inputTokens: 2, outputTokens: 3 } }) { id } }', { id: run.id }));

    const lines = await readLines(await exportAs(user));
    const byId = new Map(lines.map((line) => [line.id ?? line.type, line]));
    expect(byId.get(rated!.id)?.feedback).toMatchObject({ messageId: rated!.id, threadId: thread.id, score: 1, comment: 'thanks' });
    expect(byId.get(unrated!.id)?.feedback).toBeNull();
    expect(byId.get(run.id)).toMatchObject({ model: 'm', usage: { inputTokens: 2, outputTokens: 3 } });
  });

  it("carries each message's earlier versions, newest first, and tombstones as the API shows them", async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const [edited, deleted, untouched] = (await seed(app.db).messages(thread.id, ['first draft', 'regrettable', 'as sent'])) as Array<{ id: string }>;
    const edit = 'mutation($id: ID!, $c: String!) { editMessage(input: { id: $id, content: $c }) { revision } }';
    expectData(await app.gql(user, edit, { id: edited!.id, c: 'second draft' }));
    expectData(await app.gql(user, edit, { id: edited!.id, c: 'final' }));
    expectData(await app.gql(user, 'mutation($id: ID!) { deleteMessage(id: $id) { id } }', { id: deleted!.id }));

    const byId = new Map((await readLines(await exportAs(user))).map((line) => [line.id ?? line.type, line]));
    const shown = expectData(await app.gql(user, 'query($id: ID!) { message(id: $id) { content revision editedAt revisions(first: 10) { edges { node { revision content } } } } }', { id: edited!.id })).message;
    expect(byId.get(edited!.id)).toMatchObject({ content: 'final', revision: 3, editedAt: shown.editedAt });
    expect(byId.get(edited!.id)?.revisions.map(({ revision, content }: any) => ({ revision, content }))).toEqual(shown.revisions.edges.map((edge: any) => edge.node));
    expect(byId.get(edited!.id)?.revisions.map((revision: any) => revision.content)).toEqual(['second draft', 'first draft']);
    expect(byId.get(deleted!.id)).toMatchObject({ content: '', parts: [], metadata: {}, revisions: [] });
    expect(byId.get(deleted!.id)?.deletedAt).toEqual(expect.any(String));
    expect(byId.get(untouched!.id)).toMatchObject({ content: 'as sent', revision: 1, editedAt: null, deletedAt: null, revisions: [] });
  });

  it('refuses a request without a valid token with 401 UNAUTHENTICATED, and anything but GET with 405', async () => {
    const anonymous = await fetch(new URL('/export', app.url));
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.stringMatching(/Authorization/) } });
    const forged = await fetch(new URL('/export', app.url), { headers: { authorization: 'Bearer not.a.token' } });
    expect(forged.status).toBe(401);
    expect((await exportAs(newUserId(), { method: 'POST' })).status).toBe(405);
  });

  it('a client that goes away mid-export ends it: no transaction is left open', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const records: MessageRecord[] = Array.from({ length: 5_000 }, (_, i) => ({
      id: ids.messageId(), threadId: thread.id, ownerId: user, runId: null, role: 'USER', content: 'x'.repeat(2_000), parts: null,
      metadata: {}, seq: i + 1, clientMessageId: null, createdAt: new Date().toISOString(), status: 'COMPLETED', actor: null, revision: 1, editedAt: null, deletedAt: null,
    }));
    await insertMessageRecords(app.db, records);
    const controller = new AbortController();
    const response = await exportAs(user, { signal: controller.signal });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    // The export's transaction, whichever of its statements ran last (its pages, or the ratings of a page).
    const openExportTransactions = () => sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where xact_start is not null and pid <> pg_backend_pid()
        and (query like '%/* export.%' or query like '%/* messageFeedback.findFeedbackByMessageIds%')`.execute(app.db);
    await vi.waitFor(async () => expect((await openExportTransactions()).rows[0]!.n).toBe(0), { timeout: 10_000, interval: 100 });
  });
});
