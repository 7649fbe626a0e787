import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/domain/message.js';
import type { Run } from '../../src/domain/run.js';
import type { Thread } from '../../src/domain/thread.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { connectAs } from '../support/ws-client.js';
import { newUserId, startTestApp, TEST_JWT_SECRET, tokenFor, type GraphqlResponse, type TestApp } from '../support/test-app.js';

const key = (secret: string) => new TextEncoder().encode(secret);
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Well signed with the server's secret, refused for a claim: no `exp` (valid forever otherwise),
 * `nbf` an hour ahead, and a subject that is not well-formed text ("\ud800" would be stored as
 * U+FFFD, the same user as "\ufffd"). The first two are built for `owner`, so a bypass acts as them.
 */
async function tokensRefusedByClaims(owner: string) {
  const signed = (jwt: SignJWT) => jwt.setProtectedHeader({ alg: 'HS256' }).sign(key(TEST_JWT_SECRET));
  return {
    noExpiry: await signed(new SignJWT({}).setSubject(owner).setIssuedAt()),
    notYetValid: await signed(new SignJWT({}).setSubject(owner).setNotBefore(nowSeconds() + 3600).setExpirationTime(nowSeconds() + 7200)),
    loneSurrogate: await signed(new SignJWT({}).setSubject('\ud800').setExpirationTime('1h')),
  };
}

/** Every root field, with arguments that would succeed for the owner of `thread`, `run` and `message`. */
function everyOperation(thread: Thread, run: Run, message: Message): Array<[string, string, Record<string, unknown>?]> {
  const t = { id: thread.id };
  return [
    ['viewer', '{ viewer { id } }'],
    ['thread', 'query($id: ID!) { thread(id: $id) { id title } }', t],
    ['threads', '{ threads(first: 5) { edges { node { id } } } }'],
    ['activeThread', '{ activeThread { id } }'],
    ['run', 'query($id: ID!) { run(id: $id) { id } }', { id: run.id }],
    ['message', 'query($id: ID!) { message(id: $id) { id content } }', { id: message.id }],
    ['node', 'query($id: ID!) { node(id: $id) { id } }', t],
    ['analytics', '{ analytics(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { __typename } }'],
    ['searchMessages', '{ searchMessages(query: "hello") { edges { node { id } } } }'],
    ['createThread', 'mutation { createThread(input: { title: "intruder" }) { id } }'],
    ['getOrCreateActiveThread', 'mutation { getOrCreateActiveThread { id } }'],
    ['updateThread', 'mutation($id: ID!) { updateThread(input: { id: $id, title: "hijacked" }) { id } }', t],
    ['archiveThread', 'mutation($id: ID!) { archiveThread(id: $id) { id } }', t],
    ['archiveThreads', 'mutation($ids: [ID!]!) { archiveThreads(ids: $ids) { id } }', { ids: [thread.id] }],
    ['erasure', 'query($id: ID!) { erasure(threadId: $id) { status } }', t],
    ['deleteThread', 'mutation($id: ID!) { deleteThread(id: $id) { status } }', t],
    ['deleteThreads', 'mutation($ids: [ID!]!) { deleteThreads(ids: $ids) { status } }', { ids: [thread.id] }],
    ['deleteViewerData', 'mutation { deleteViewerData { status } }'],
    ['unarchiveThread', 'mutation($id: ID!) { unarchiveThread(id: $id) { id } }', t],
    ['generateThreadTitle', 'mutation($id: ID!) { generateThreadTitle(id: $id) { id } }', t],
    ['forkThread', 'mutation($id: ID!) { forkThread(input: { messageId: $id }) { id } }', { id: message.id }],
    ['markThreadRead', 'mutation($id: ID!) { markThreadRead(input: { threadId: $id, seq: 1 }) { id } }', t],
    ['startRun', 'mutation($id: ID!) { startRun(input: { threadId: $id }) { id } }', t],
    ['updateRunStatus', 'mutation($id: ID!) { updateRunStatus(input: { id: $id, status: IN_PROGRESS }) { id } }', { id: run.id }],
    ['cancelRun', 'mutation($id: ID!) { cancelRun(id: $id) { id } }', { id: run.id }],
    [
      'submitToolResults',
      'mutation($id: ID!) { submitToolResults(input: { runId: $id, results: [{ callId: "call_1", output: "sneaky" }] }) { id } }',
      { id: run.id },
    ],
    ['sendMessage', 'mutation($id: ID!) { sendMessage(input: { threadId: $id, content: "sneaky" }) { id } }', t],
    ['startMessage', 'mutation($id: ID!) { startMessage(input: { threadId: $id }) { id } }', t],
    ['appendMessageDelta', 'mutation($id: ID!) { appendMessageDelta(input: { id: $id, delta: "sneaky" }) { id } }', { id: message.id }],
    ['completeMessage', 'mutation($id: ID!) { completeMessage(id: $id) { id } }', { id: message.id }],
    ['editMessage', 'mutation($id: ID!) { editMessage(input: { id: $id, content: "rewritten" }) { id } }', { id: message.id }],
    ['deleteMessage', 'mutation($id: ID!) { deleteMessage(id: $id) { id } }', { id: message.id }],
    ['rateMessage', 'mutation($id: ID!) { rateMessage(input: { id: $id, score: 1 }) { id } }', { id: message.id }],
  ];
}

describe('authentication', () => {
  let app: TestApp;
  let owner: string;
  let thread: Thread;
  let run: Run;
  let message: Message;

  beforeAll(async () => {
    app = await startTestApp();
    owner = newUserId('owner');
    thread = await seed(app.db).thread(owner, { title: 'private' });
    [message] = (await seed(app.db).messages(thread.id, ['hello'])) as [Message];
    run = await seed(app.db).run(thread.id);
  });
  afterAll(() => app.stop());

  async function post(authorization: string | undefined, query: string, variables?: Record<string, unknown>): Promise<GraphqlResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization !== undefined) headers.authorization = authorization;
    const response = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: response.status, ...((await response.json()) as object) };
  }

  /** Headers that must never authenticate; each is built for the owner, so a bypass would act as them. */
  async function badHeaders(): Promise<Array<[string, string | undefined, RegExp]>> {
    const valid = await tokenFor(owner);
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(owner).setExpirationTime('1h').sign(key('some-other-secret-of-at-least-32-chars'));
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(owner)
      .setIssuedAt(nowSeconds() - 7200)
      .setExpirationTime(nowSeconds() - 3600)
      .sign(key(TEST_JWT_SECRET));
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ sub: owner, exp: nowSeconds() + 3600 })}.`;
    const hs512 = await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject(owner).setExpirationTime('1h').sign(key(TEST_JWT_SECRET));
    const noSubject = await new SignJWT({ user: owner }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key(TEST_JWT_SECRET));
    const { noExpiry, notYetValid, loneSurrogate } = await tokensRefusedByClaims(owner);
    const [header, payload, signature] = valid.split('.') as [string, string, string];
    const tamperedPayload = `${header}.${base64url({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: newUserId() })}.${signature}`;
    return [
      ['missing header', undefined, /Missing Authorization header/],
      ['empty header', '', /Missing Authorization header/],
      ['not a Bearer scheme', `Basic ${Buffer.from(`${owner}:pw`).toString('base64')}`, /Malformed Authorization header/],
      ['Bearer without a token', 'Bearer', /Malformed Authorization header/],
      ['token without a scheme', valid, /Malformed Authorization header/],
      ['two tokens', `Bearer ${valid} ${valid}`, /Malformed Authorization header/],
      ['garbage token', 'Bearer not.a.jwt', /Invalid token/],
      ['signed with another secret', `Bearer ${forged}`, /Invalid token/],
      ['tampered payload', `Bearer ${tamperedPayload}`, /Invalid token/],
      ['expired', `Bearer ${expired}`, /Token expired/],
      ['alg none', `Bearer ${unsigned}`, /Invalid token/],
      ['alg HS512 with the right secret', `Bearer ${hs512}`, /Invalid token/],
      ['no subject', `Bearer ${noSubject}`, /no usable subject/],
      ['no exp', `Bearer ${noExpiry}`, /Token has no expiry \(exp\)/],
      ['nbf in an hour', `Bearer ${notYetValid}`, /Token not valid yet \(nbf/],
      ['subject with a lone surrogate', `Bearer ${loneSurrogate}`, /no usable subject/],
    ];
  }

  it('covers every root query and mutation field the server exposes', async () => {
    const { data } = await post(`Bearer ${await tokenFor(owner)}`, '{ query: __type(name: "Query") { fields { name } } mutation: __type(name: "Mutation") { fields { name } } }');
    const exposed = [...data.query.fields, ...data.mutation.fields].map((field: { name: string }) => field.name).sort();
    const covered = everyOperation(thread, run, message).map(([field]) => field).sort();
    // A new root field must be added to everyOperation, so that it is proven to refuse anonymous callers too.
    expect(covered).toEqual(exposed);
  });

  it('accepts a valid Bearer token (so the refusals below are about the token)', async () => {
    const response = await post(`Bearer ${await tokenFor(owner)}`, '{ viewer { id } }');
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ viewer: { id: owner } });
  });

  it('refuses every subscription field to an anonymous caller with UNAUTHENTICATED, before looking at its arguments', async () => {
    for (const query of [
      'subscription { messageAdded(threadId: "not-an-id") { id } }',
      'subscription { threadEvents(threadId: "not-an-id") { __typename } }',
      'subscription { runUpdated(runId: "not-an-id") { id } }',
      'subscription { viewerEvents(after: "not-a-cursor") { __typename } }',
    ]) {
      const response = await post(undefined, query);
      expect(response.errors?.map((error: { extensions?: { code?: string } }) => error.extensions?.code), query).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('refuses every query and mutation with UNAUTHENTICATED for each bad header, changing nothing', async () => {
    const before = await ownerRows(app.db, owner);
    for (const [label, authorization, reason] of await badHeaders()) {
      for (const [field, query, variables] of everyOperation(thread, run, message)) {
        const response = await post(authorization, query, variables);
        const context = `${label} / ${field}: ${JSON.stringify(response)}`;
        expect(response.errors?.length, context).toBeGreaterThan(0);
        for (const error of response.errors ?? []) {
          expect(error.extensions?.code, context).toBe('UNAUTHENTICATED');
          expect(error.message, context).toMatch(reason);
        }
        // Nothing is returned: no field carries data for a caller without valid credentials.
        expect(Object.values(response.data ?? {}).every((value) => value === null), context).toBe(true);
      }
    }
    expect(await ownerRows(app.db, owner)).toEqual(before);
    // No mutation created anything for anyone it could have been attributed to either.
    const created = await app.db.selectFrom('threads').select('id').where('title', '=', 'intruder').execute();
    expect(created).toEqual([]);
  });

  it('closes a WebSocket whose token has no exp, a future nbf or an unstorable subject with 4403', async () => {
    const tokens = await tokensRefusedByClaims(owner);
    for (const [label, token] of Object.entries(tokens)) {
      const { closed } = await connectAs(app.url, { authorization: `Bearer ${token}` });
      const { code, reason } = await closed;
      expect(code, label).toBe(4403);
      expect(reason, label).toMatch(/^Forbidden: (Token has no expiry|Token not valid yet|Token has no usable subject)/);
    }
  });

  it('takes the socket token under any case of `authorization`, as HTTP takes its header', async () => {
    const token = await tokenFor(owner);
    const socket = await connectAs(app.url, { authorization: null }, { connectionParams: { Authorization: `Bearer ${token}` } });
    await socket.acknowledged;
    const result = await new Promise((resolve, reject) => {
      socket.client.subscribe({ query: '{ viewer { id } }' }, { next: resolve, error: reject, complete: () => undefined });
    });
    expect(result).toEqual({ data: { viewer: { id: owner } } });
    await socket.client.dispose();
  });

  it('closes a socket whose token expired since it connected with 4403 when it next subscribes, starting nothing', async () => {
    const expiresAt = nowSeconds() + 2;
    const token = await new SignJWT({}).setSubject(owner).setExpirationTime(expiresAt).setProtectedHeader({ alg: 'HS256' }).sign(key(TEST_JWT_SECRET));
    const socket = await connectAs(app.url, { authorization: `Bearer ${token}` });
    await socket.acknowledged;
    const before = app.realtime.subscriptions;
    await new Promise((resolve) => setTimeout(resolve, (expiresAt + 1) * 1000 - Date.now()));
    const errors: unknown[] = [];
    socket.client.subscribe(
      { query: 'subscription { viewerEvents { __typename } }' },
      { next: () => errors.push('an event'), error: (error) => errors.push(error), complete: () => undefined },
    );
    const { code, reason } = await socket.closed;
    expect(code).toBe(4403);
    expect(reason).toMatch(/^Forbidden: Token expired/);
    expect(app.realtime.subscriptions).toBe(before);
    expect(errors).not.toContain('an event');
  });

  it('the gql helper without a user sends no header and is refused', async () => {
    const response = await app.gql(null, 'mutation { createThread { id } }');
    expect(response.data).toBeNull();
    expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});
