import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { messageReads } from '../../src/observability/metrics.js';
import { seqCursor } from '../../src/schema/pagination/cursors.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { SEND_MESSAGE, waitForStoredCount, type AckedMessage } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { startTestPersister } from '../support/test-persister.js';
import { redisUrlOf } from '../support/redis-databases.js';

// Thread.messages served from a 5-message Redis window, from Postgres, or from both merged.
// This file's server uses a Redis database of its own (support/redis-databases.ts) and no in-process persister: the tests decide
// when the backlog drains.
const WINDOW = 5;
const PAGE = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  thread(id: $id) { messages(first: $first, after: $after, last: $last, before: $before) {
    edges { node { id seq durability } } pageInfo { hasNextPage hasPreviousPage } } } }`;

interface PageArgs {
  first?: number;
  after?: number;
  last?: number;
  before?: number;
}

/** Every kind of page: from the start, from a cursor, newest, before a cursor, bounded on both sides. */
function pageArgs(total: number): PageArgs[] {
  const sizes = [1, 3, 5, 6, 10, 30];
  const afters = [undefined, 3, total - 6, total - 5, total - 4, total - 1, total];
  const befores = [undefined, 2, 8, total - 4, total - 3, total, total + 1];
  return [
    ...sizes.flatMap((first) => afters.map((after) => ({ first, after }))),
    ...sizes.flatMap((last) => befores.map((before) => ({ last, before }))),
    { first: 3, after: 2, before: total - 1 },
    { first: 10, after: total - 8, before: total },
    { last: 3, after: total - 8, before: total },
    { last: 10, after: 1, before: total - 2 },
  ];
}

describe('storage: reads merge the Redis window and Postgres', () => {
  let app: TestApp;
  const redisUrl = () => redisUrlOf('storageReads');
  let redis: Redis;

  beforeAll(async () => {
    app = await startTestApp({ env: { REDIS_URL: redisUrl(), RUN_WORKERS_IN_PROCESS: 'false', HOT_WINDOW_SIZE: String(WINDOW) } });
    redis = new Redis(redisUrl());
  });
  afterAll(async () => {
    redis.disconnect();
    await app.stop();
  });

  const send = async (user: string, input: Record<string, unknown>): Promise<AckedMessage> =>
    expectData(await app.gql(user, SEND_MESSAGE, { input })).sendMessage;
  const windowSeqs = async (threadId: string) =>
    (await redis.lrange(threadKeys(threadId as ThreadId).window, 0, -1)).map((item) => JSON.parse(item).seq as number);

  /**
   * The page's messages, ARCHIVED counted as DURABLE: the server's archiver (embedded chDB, always
   * in process) may have archived some already, and what these tests check is "at least DURABLE".
   */
  async function page(user: string, threadId: string, args: PageArgs) {
    const variables = {
      id: threadId,
      first: args.first,
      last: args.last,
      after: args.after === undefined ? undefined : seqCursor(args.after),
      before: args.before === undefined ? undefined : seqCursor(args.before),
    };
    const messages = expectData(await app.gql(user, PAGE, variables)).thread.messages;
    for (const { node } of messages.edges) if (node.durability === 'ARCHIVED') node.durability = 'DURABLE';
    return messages;
  }

  /** Asks every kind of page and compares each with the truth: IDs in seq order, more-pages flag, durability. */
  async function expectEveryPage(user: string, threadId: string, ids: string[], durabilityOf: (seq: number) => string) {
    for (const args of pageArgs(ids.length)) {
      const inRange = ids
        .map((id, index) => ({ id, seq: index + 1 }))
        .filter(({ seq }) => (args.after === undefined || seq > args.after) && (args.before === undefined || seq < args.before));
      const size = (args.first ?? args.last) as number;
      const expected = args.first !== undefined ? inRange.slice(0, size) : inRange.slice(Math.max(0, inRange.length - size));
      const got = await page(user, threadId, args);
      const what = JSON.stringify(args);
      expect(got.edges.map((edge: any) => edge.node), what).toEqual(expected.map(({ id, seq }) => ({ id, seq, durability: durabilityOf(seq) })));
      const more = args.first !== undefined ? got.pageInfo.hasNextPage : got.pageInfo.hasPreviousPage;
      expect(more, `more pages for ${what}`).toBe(inRange.length > size);
    }
  }

  async function threadWithStoredMessages(count: number): Promise<{ user: string; thread: Thread; ids: string[] }> {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const stored = await seed(app.db).messages(thread.id, Array.from({ length: count }, (_, i) => `stored ${i + 1}`));
    return { user, thread, ids: stored.map((message) => message.id) };
  }

  async function drain(threadId: string, count: number) {
    const persister = await startTestPersister(redisUrl(), app.db, 'reads-persister');
    try {
      await waitForStoredCount(app.db, [threadId], count);
    } finally {
      await persister.stop();
    }
  }

  it('persister caught up, window smaller than the thread: every page equals the stored thread', async () => {
    const { user, thread, ids } = await threadWithStoredMessages(10);
    for (let i = 0; i < 13; i++) ids.push((await send(user, { threadId: thread.id, content: `hot ${i}` })).id);
    await drain(thread.id, 23);
    // The next send trims the window to its configured size, now that Postgres has the rest.
    ids.push((await send(user, { threadId: thread.id, content: 'last' })).id);
    await drain(thread.id, 24);
    expect(await windowSeqs(thread.id)).toEqual([20, 21, 22, 23, 24]);
    await expect.poll(async () => (await page(user, thread.id, { last: 1 })).edges[0].node.durability).toBe('DURABLE');

    await expectEveryPage(user, thread.id, ids, () => 'DURABLE');
  });

  it('persister lagging: the window keeps every unpersisted message beyond its size, and pages across both tiers are whole', async () => {
    const { user, thread, ids } = await threadWithStoredMessages(10);
    for (let i = 0; i < 8; i++) ids.push((await send(user, { threadId: thread.id, content: `hot ${i}` })).id);
    expect(await windowSeqs(thread.id)).toEqual([11, 12, 13, 14, 15, 16, 17, 18]);

    await expectEveryPage(user, thread.id, ids, (seq) => (seq <= 10 ? 'DURABLE' : 'HOT'));
    await drain(thread.id, 18);
  });

  it('a message a DURABLE send committed reads as DURABLE when the page comes from Postgres', async () => {
    const { user, thread, ids } = await threadWithStoredMessages(10);
    ids.push((await send(user, { threadId: thread.id, content: 'committed', durability: 'DURABLE' })).id);
    ids.push((await send(user, { threadId: thread.id, content: 'fast' })).id);
    // last: 6 reaches below the window (11..12), so Postgres answers for 7..11 and the window for 12.
    const nodes = (await page(user, thread.id, { last: 6 })).edges.map((edge: any) => edge.node);
    expect(nodes.map((node: any) => [node.seq, node.durability])).toEqual([
      [7, 'DURABLE'], [8, 'DURABLE'], [9, 'DURABLE'], [10, 'DURABLE'], [11, 'DURABLE'], [12, 'HOT'],
    ]);
    await drain(thread.id, 12);
  });

  it('the hit/miss counter moves: window hits count as redis, everything else as postgres', async () => {
    const reads = async () => {
      const { values } = await messageReads.get();
      const of = (source: string) => values.find((value) => value.labels.source === source)?.value ?? 0;
      return { redis: of('redis'), postgres: of('postgres') };
    };
    const { user, thread } = await threadWithStoredMessages(10);
    for (let i = 0; i < 3; i++) await send(user, { threadId: thread.id, content: `hot ${i}` });
    const cold = await threadWithStoredMessages(2);

    let before = await reads();
    await page(user, thread.id, { last: 2 });
    expect(await reads()).toEqual({ redis: before.redis + 1, postgres: before.postgres });

    before = await reads();
    await page(user, thread.id, { first: 2 });
    await page(cold.user, cold.thread.id, { last: 2 });
    expect(await reads()).toEqual({ redis: before.redis, postgres: before.postgres + 2 });

    const metrics = await (await fetch(new URL('/metrics', app.url))).text();
    expect(metrics).toMatch(/threadline_message_reads_total\{source="redis"\} \d+/);
    await drain(thread.id, 13);
  });
});
