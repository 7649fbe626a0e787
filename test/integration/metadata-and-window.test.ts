import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_METADATA_BYTES, MAX_METADATA_DEPTH } from '../../src/domain/metadata.js';
import type { Thread } from '../../src/domain/thread.js';
import { createHotTier } from '../../src/storage/hot-tier.js';
import { createRedisClient } from '../../src/storage/redis-client.js';
import { captureLog, type CapturedLog } from '../support/captured-log.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { sendAll } from '../support/stored-messages.js';
import { newUserId, startTestApp, testConfig, tokenFor, type TestApp } from '../support/test-app.js';

/** An object nested `depth` levels deep, the outermost counting as 1. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < depth; level++) value = { inner: value };
  return value;
}

/**
 * Metadata nested `depth` levels deep as JSON text: the test's own JSON.stringify would exhaust
 * its stack at 6,000 levels, which the server, parsing the same text, must not.
 */
function nestedJson(depth: number): string {
  return `${'{"inner":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;
}

/** Metadata whose compact JSON is exactly `bytes` long. */
function sized(bytes: number): Record<string, unknown> {
  const overhead = JSON.stringify({ pad: '' }).length;
  return { pad: 'x'.repeat(bytes - overhead) };
}

describe('metadata limits: bytes and depth, on every write that takes metadata', () => {
  let app: TestApp;
  let captured: CapturedLog;
  let user: string;
  let thread: Thread;

  beforeAll(async () => {
    captured = captureLog();
    app = await startTestApp({ log: captured.log });
    user = newUserId();
    thread = await seed(app.db).thread(user);
  });
  afterAll(() => app?.stop());

  const writes: Array<[what: string, query: string, variables: (metadata: unknown) => Record<string, unknown>]> = [
    ['sendMessage', 'mutation($m: JSON) { sendMessage(input: { threadId: "T", content: "x", metadata: $m }) { id } }', (m) => ({ m })],
    ['startMessage', 'mutation($m: JSON) { startMessage(input: { threadId: "T", metadata: $m }) { id } }', (m) => ({ m })],
    ['createThread', 'mutation($m: JSON) { createThread(input: { metadata: $m }) { id } }', (m) => ({ m })],
    ['updateThread', 'mutation($m: JSON) { updateThread(input: { id: "T", metadata: $m }) { id } }', (m) => ({ m })],
    ['startRun', 'mutation($m: JSON) { startRun(input: { threadId: "T", metadata: $m }) { id } }', (m) => ({ m })],
  ];
  const withThread = (query: string) => query.replace('"T"', JSON.stringify(thread.id));

  /** POSTs `query` with `$m` set to metadata given as JSON text. */
  async function sendWithMetadataJson(query: string, metadataJson: string) {
    const token = await tokenFor(user);
    const body = `{"query":${JSON.stringify(query)},"variables":{"m":${metadataJson}}}`;
    const response = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
    return { status: response.status, ...((await response.json()) as object) };
  }

  it.each(writes)('%s: over the byte limit, or nested too deep (even 6,000 levels), is BAD_USER_INPUT and changes nothing', async (_what, query) => {
    for (const [metadata, message] of [
      [JSON.stringify(sized(MAX_METADATA_BYTES + 1)), /bytes/],
      [nestedJson(MAX_METADATA_DEPTH + 1), /nested deeper/],
      [nestedJson(6_000), /nested deeper/],
    ] as const) {
      const before = await ownerRows(app.db, user);
      const error = expectError(await sendWithMetadataJson(withThread(query), metadata), 'BAD_USER_INPUT');
      expect(error.message).toMatch(message);
      expect(await ownerRows(app.db, user)).toEqual(before);
    }
  });

  it.each(writes)('%s: exactly at both limits is accepted', async (_what, query, variables) => {
    expectData(await app.gql(user, withThread(query), variables(sized(MAX_METADATA_BYTES))));
    expectData(await app.gql(user, withThread(query), variables(nested(MAX_METADATA_DEPTH))));
  });

  it('the threads(metadata:) filter has the same limits', async () => {
    const response = await sendWithMetadataJson('query($m: JSON) { threads(metadata: $m) { edges { cursor } } }', nestedJson(6_000));
    expectError(response, 'BAD_USER_INPUT');
  });

  it('none of these refusals was logged as a server error', () => {
    expect(captured.errors()).toEqual([]);
  });
});

describe('a page reads only its part of the Redis window', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ env: { HOT_WINDOW_SIZE: '200' } });
  });
  afterAll(() => app?.stop());

  it('readSlices hands back at most the page, found by index, for newest, after and before pages', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const inputs = Array.from({ length: 120 }, (_, i) => ({ threadId: thread.id, content: `m${i + 1}`, metadata: sized(8_000) }));
    const { acked } = await sendAll(app.gql, user, inputs, 4);
    const config = testConfig();
    const redis = createRedisClient(config.redis.kind === 'external' ? config.redis.url : '', { name: 'slice-test', log: pino({ level: 'silent' }) });
    await redis.connect();
    try {
      const hot = createHotTier(redis, config.hotTier);
      const read = async (range: Parameters<typeof hot.readSlices>[1]) => (await hot.readSlices([thread.id], range)).get(thread.id)!;
      const newest = await read({ limit: 2, backwards: true });
      expect(newest.messages.map((m) => m.seq)).toEqual([119, 120]);
      expect([newest.firstSeq, newest.lastSeq]).toEqual([1, 120]);
      expect((await read({ after: 50, limit: 3, backwards: false })).messages.map((m) => m.seq)).toEqual([51, 52, 53]);
      expect((await read({ before: 10, limit: 3, backwards: true })).messages.map((m) => m.seq)).toEqual([7, 8, 9]);
      expect((await read({ after: 5, before: 8, limit: 10, backwards: false })).messages.map((m) => m.seq)).toEqual([6, 7]);
      expect((await read({ after: 120, limit: 5, backwards: false })).messages).toEqual([]);
    } finally {
      redis.disconnect();
    }
    const page = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { messages(last: 1) { edges { node { seq content } } } } }', { id: thread.id }));
    // Sent 4 at a time: which text took seq 120 is the server's choice, told in its ack.
    const newestAck = acked.find((message) => message.seq === 120);
    expect(page.thread.messages.edges).toEqual([{ node: { seq: 120, content: newestAck?.content } }]);
  });
});
