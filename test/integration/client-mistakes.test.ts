import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { captureLog, type CapturedLog } from '../support/captured-log.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type GraphqlResponse, type TestApp } from '../support/test-app.js';
import { collect, connectAs } from '../support/ws-client.js';

const cursor = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const PINO_INFO = 30;

/**
 * A client's mistake is the client's error: BAD_USER_INPUT with a message naming the mistake,
 * nothing changed, and nothing logged above info (an error line with a stack would page an
 * operator for someone else's typo). INTERNAL stays for the server's own faults.
 */
describe('client mistakes are BAD_USER_INPUT, change nothing and are not logged as server errors', () => {
  let app: TestApp;
  let captured: CapturedLog;
  let user: string;
  let thread: Thread;

  beforeAll(async () => {
    captured = captureLog();
    app = await startTestApp({ log: captured.log });
    user = newUserId();
    thread = await seed(app.db).thread(user, { title: 'untouched' });
    await seed(app.db).messages(thread.id, ['first', 'second']);
  });
  afterAll(() => app.stop());
  beforeEach(() => void captured.lines.splice(0));

  /** No data, every error BAD_USER_INPUT matching `message`, nothing logged above info. */
  function expectClientError(response: Pick<GraphqlResponse, 'data' | 'errors'>, message: RegExp): void {
    const context = JSON.stringify(response);
    expect(response.errors?.length, context).toBeGreaterThan(0);
    for (const error of response.errors ?? []) {
      expect(error.extensions?.code, context).toBe('BAD_USER_INPUT');
      expect(error.message, context).toMatch(message);
    }
    expect(Object.values(response.data ?? {}).every((value) => value === null), context).toBe(true);
    expect(captured.lines.filter((line) => line.level > PINO_INFO)).toEqual([]);
  }

  const PAGE = 'query($n: Int) { threads(first: $n) { edges { node { id } } } }';

  it.each([
    ['a string for Int', 'abc', /Variable "\$n" got invalid value "abc"; Int cannot represent non-integer value/],
    ['1e12 for Int (over 32 bits)', 1e12, /Variable "\$n" got invalid value 1000000000000; Int cannot represent non 32-bit signed integer value/],
    ['a float for Int', 1.5, /Variable "\$n" got invalid value 1.5/],
  ])('variable coercion: %s', async (_label, value, message) => {
    expectClientError(await app.gql(user, PAGE, { n: value }), message);
  });

  it('an enum value that does not exist (role: "ADMIN"), as a variable and inside an input variable; no message is written', async () => {
    const before = await ownerRows(app.db, user);
    const byRole = 'mutation($t: ID!, $r: MessageRole) { sendMessage(input: { threadId: $t, content: "x", role: $r }) { id } }';
    expectClientError(await app.gql(user, byRole, { t: thread.id, r: 'ADMIN' }), /Variable "\$r" got invalid value "ADMIN"; Value "ADMIN" does not exist in "MessageRole" enum/);
    const byInput = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }';
    expectClientError(await app.gql(user, byInput, { input: { threadId: thread.id, content: 'x', role: 'ADMIN' } }), /Variable "\$input" got invalid value "ADMIN" at "input.role"/);
    expect(await ownerRows(app.db, user)).toEqual(before);
  });

  it('a required field missing inside an input variable (threadId of SendMessageInput); no message is written', async () => {
    const before = await ownerRows(app.db, user);
    const byInput = 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }';
    expectClientError(await app.gql(user, byInput, { i: { content: 'x' } }), /Variable "\$i" got invalid value .*Field "threadId" of required type "ID!" was not provided/);
    expect(await ownerRows(app.db, user)).toEqual(before);
  });

  it.each([
    ['a timestamp before any Postgres can store', () => `threads(first: 5, after: "${cursor('t:-8640000000000000:thread_x')}")`],
    ['a timestamp past any Postgres can store', () => `threads(first: 5, after: "${cursor('t:8640000000000000:thread_x')}")`],
    ['a message seq over 32 bits', () => `thread(id: "${thread.id}") { messages(first: 5, after: "${cursor('seq:2147483648')}") { edges { node { id } } } }`],
  ])('a cursor holding %s', async (_label, field) => {
    const selection = field().startsWith('threads') ? `${field()} { edges { node { id } } }` : field();
    expectClientError(await app.gql(user, `{ ${selection} }`), /^Invalid cursor/);
  });

  it.each([['an operationName the document does not define', 'C'], ['no operationName for a document of several operations', undefined]])(
    'over graphql-ws: %s is OPERATION_RESOLUTION_FAILURE, as over HTTP; nothing runs, and naming one of its operations subscribes',
    async (_label, operationName) => {
      const { client } = await connectAs(app.url, { userId: user });
      try {
        const before = app.realtime.subscriptions;
        const document = 'subscription A($t: ID!) { messageAdded(threadId: $t) { seq } } subscription B($t: ID!) { messageAdded(threadId: $t) { seq } }';
        const refused = collect(client, document, { t: thread.id }, operationName);
        await refused.done;
        expect(refused.errors).toMatchObject([{ extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }]);
        expect(refused.errors[0]?.message).toBe(operationName ? 'Unknown operation named "C".' : 'Must provide operation name if query contains multiple operations.');
        expect(app.realtime.subscriptions).toBe(before);
        const chosen = collect(client, document, { t: thread.id }, 'B');
        await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(before + 1), { timeout: 5_000 });
        expect(chosen.errors).toEqual([]);
        chosen.stop();
        await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(before));
      } finally {
        await client.dispose();
      }
    },
  );

  it('over graphql-ws: afterSeq 2147483648 fails that subscription alone with BAD_USER_INPUT; the socket carries on', async () => {
    const { client } = await connectAs(app.url, { userId: user });
    try {
      const before = app.realtime.subscriptions;
      const live = collect(client, 'subscription($t: ID!) { messageAdded(threadId: $t) { seq } }', { t: thread.id });
      await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(before + 1));
      for (const field of ['messageAdded(threadId: $t, afterSeq: $s) { seq }', 'threadEvents(threadId: $t, afterSeq: $s) { __typename }']) {
        const refused = collect(client, `subscription($t: ID!, $s: Int) { ${field} }`, { t: thread.id, s: 2147483648 });
        await refused.done;
        expectClientError({ data: null, errors: refused.errors }, /Variable "\$s" got invalid value 2147483648; Int cannot represent non 32-bit signed integer value/);
      }
      expect(app.realtime.subscriptions).toBe(before + 1);
      await app.gql(user, 'mutation($t: ID!) { sendMessage(input: { threadId: $t, content: "third" }) { seq } }', { t: thread.id });
      expect(await live.received(1)).toEqual([{ messageAdded: { seq: 3 } }]);
      live.stop();
    } finally {
      await client.dispose();
    }
  });
});
