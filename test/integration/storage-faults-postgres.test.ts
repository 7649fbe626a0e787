import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../support/private-services.js';
import { seed } from '../support/seed.js';
import { expectExactlyStored, SEND_MESSAGE, sendAll, startSending, waitFor, waitForStoredCount, type AckedMessage } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { expectData } from '../support/expect-graphql.js';

// Postgres crashes (pg_ctl stop -m immediate) or stalls while messages are being sent, Redis
// being fine. A Postgres and a redis-server of this file's own; the server runs its persister
// in process, as by default.
const MESSAGES = 1_000;

describe('storage faults: Postgres down or slow while sending', () => {
  let postgres: PrivatePostgres;
  let redis: PrivateRedis;
  let app: TestApp;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    app = await startTestApp({ env: { DATABASE_URL: postgres.url, REDIS_URL: redis.url } });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await Promise.all([redis?.dispose(), postgres?.dispose()]);
  });

  const ready = async () => {
    const response = await fetch(new URL('/ready', app.url));
    return { status: response.status, body: (await response.json()) as { status: string; postgres: string; writePath: string } };
  };

  async function hotThreads(user: string, count: number): Promise<{ threads: Thread[]; acked: AckedMessage[] }> {
    const threads: Thread[] = [];
    for (let i = 0; i < count; i++) threads.push(await seed(app.db).thread(user));
    const { acked, refused } = await sendAll(app.gql, user, threads.map((thread) => ({ threadId: thread.id, content: `warm ${thread.id}` })), count);
    expect(refused).toEqual([]);
    return { threads, acked };
  }

  /**
   * Holds `lock` on `table` in a transaction of its own, Postgres being up, so every statement
   * touching the table waits; resolves once the lock is released after `ms`.
   */
  async function holdLock(table: string, lock: string, ms: number): Promise<{ released: Promise<void> }> {
    const client = new Client({ connectionString: postgres.url });
    client.on('error', () => {}); // the crash test kills its server
    await client.connect();
    await client.query('begin');
    await client.query(`lock table ${table} in ${lock} mode`);
    const released = new Promise<void>((resolve) => setTimeout(resolve, ms)).then(async () => {
      await client.query('commit').catch(() => {});
      await client.end().catch(() => {});
    });
    return { released };
  }

  it(`a crash of Postgres while ${MESSAGES} messages are sent: all are acked from Redis, and after the restart all land, gap-free`, async () => {
    const user = newUserId();
    const { threads, acked: warm } = await hotThreads(user, 10);
    await waitForStoredCount(app.db, threads.map((thread) => thread.id), warm.length);

    const inputs = Array.from({ length: MESSAGES }, (_, i) => ({ threadId: threads[i % threads.length]!.id, content: `during ${i}` }));
    const sending = startSending(app.gql, user, inputs, 20);
    await waitFor('the first acks', async () => sending.acked.length >= 50);
    await postgres.crash();
    expect(await ready()).toMatchObject({ status: 503, body: { status: 'unavailable', postgres: 'down', writePath: 'redis' } });
    await sending.done;
    expect(sending.refused).toEqual([]);
    expect(sending.acked.every((message) => message.durability === 'HOT')).toBe(true);
    await postgres.start();
    await waitForStoredCount(app.db, threads.map((thread) => thread.id), warm.length + MESSAGES, 30_000);
    await expectExactlyStored(app.db, [...warm, ...sending.acked]);
    expect((await ready()).body.status).toBe('ready');
  });

  it('a slow Postgres on the first send to a cold thread does not open the Redis circuit', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const { released } = await holdLock('threads', 'access exclusive', 1_500);
    const response = await app.gql(user, SEND_MESSAGE, { input: { threadId: thread.id, content: 'waits for the thread lookup' } });
    await released;
    expect(expectData(response).sendMessage).toMatchObject({ seq: 1, durability: 'HOT' });
    expect((await ready()).body).toMatchObject({ status: 'ready', writePath: 'redis' });
    await waitForStoredCount(app.db, [thread.id], 1);
  });

  it('a DURABLE send waiting on a slow Postgres commit does not open the Redis circuit, and is stored once', async () => {
    const user = newUserId();
    const { threads, acked } = await hotThreads(user, 1);
    const { released } = await holdLock('messages', 'exclusive', 1_500);
    const response = await app.gql(user, SEND_MESSAGE, { input: { threadId: threads[0]!.id, content: 'wait for the commit', durability: 'DURABLE' } });
    await released;
    const durable = expectData(response).sendMessage as AckedMessage;
    expect(durable).toMatchObject({ seq: 2, durability: 'DURABLE' });
    expect((await ready()).body).toMatchObject({ status: 'ready', writePath: 'redis' });
    const next = expectData(await app.gql(user, SEND_MESSAGE, { input: { threadId: threads[0]!.id, content: 'fast again' } })).sendMessage;
    expect(next).toMatchObject({ seq: 3, durability: 'HOT' });
    await waitForStoredCount(app.db, [threads[0]!.id], 3);
    await expectExactlyStored(app.db, [...acked, durable, next]);
  });

  it('a crash while a DURABLE send waits on Postgres fails that request, not the server; a retry with its clientMessageId finds the message', async () => {
    const user = newUserId();
    const { threads, acked } = await hotThreads(user, 1);
    const input = { threadId: threads[0]!.id, content: 'caught in the crash', durability: 'DURABLE', clientMessageId: 'crash-1' };
    await holdLock('messages', 'exclusive', 3_000);
    const pending = app.gql(user, SEND_MESSAGE, { input });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await postgres.crash();
    const response = await pending;
    expect(response.errors?.[0]?.extensions?.code).toBe('INTERNAL');
    // Redis had it queued before Postgres was asked: once Postgres is back, it lands, once.
    await postgres.start();
    const retry = expectData(await app.gql(user, SEND_MESSAGE, { input })).sendMessage as AckedMessage;
    expect(retry).toMatchObject({ seq: 2, clientMessageId: 'crash-1' });
    await waitForStoredCount(app.db, [threads[0]!.id], 2, 30_000);
    await expectExactlyStored(app.db, [...acked, retry]);
  });

  it('after a Redis outage, with Postgres then down, sends with a clientMessageId (new ones and retries of Postgres-path ones) are acked from Redis', async () => {
    const user = newUserId();
    const { threads, acked: warm } = await hotThreads(user, 1);
    const threadId = threads[0]!.id;
    await waitForStoredCount(app.db, [threadId], 1);

    // Redis down: this send takes the Postgres path; its client ID lives only in Postgres so far.
    await redis.kill();
    const outage = { threadId, content: 'sent while Redis was down', clientMessageId: 'outage-1' };
    const duringOutage = await waitFor('a Postgres-path ack', async () => {
      const response = await app.gql(user, SEND_MESSAGE, { input: outage });
      return response.errors ? undefined : (expectData(response).sendMessage as AckedMessage);
    });
    expect(duringOutage).toMatchObject({ seq: 2, durability: 'DURABLE' });
    await redis.restart();
    await waitFor('the fast path back', async () => (await ready()).body.writePath === 'redis');

    const cold = await seed(app.db).thread(user);
    // A thread Redis took from Postgres with history: its earlier client IDs are in Postgres only.
    const taken = await seed(app.db).thread(user);
    const history = (await seed(app.db).messages(taken.id, ['written before Redis knew the thread'])).map((m) => ({ ...m, durability: 'DURABLE' as const }));
    const takenAck = expectData(await app.gql(user, SEND_MESSAGE, { input: { threadId: taken.id, content: 'seeds it' } })).sendMessage as AckedMessage;
    await postgres.crash();
    try {
      // What Redis does not hold needs Postgres: a thread never sent to (its owner is in Postgres only).
      const refused = await app.gql(user, SEND_MESSAGE, { input: { threadId: cold.id, content: 'to a cold thread' } });
      expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['INTERNAL']);
      const unchecked = await app.gql(user, SEND_MESSAGE, { input: { threadId: taken.id, content: 'needs a Postgres check', clientMessageId: 'taken-1' } });
      expect(unchecked.errors?.map((error) => error.extensions?.code)).toEqual(['INTERNAL']);
      const takenNext = expectData(await app.gql(user, SEND_MESSAGE, { input: { threadId: taken.id, content: 'no client ID' } })).sendMessage as AckedMessage;
      expect(takenNext).toMatchObject({ seq: 3, durability: 'HOT' });
      const retry = await app.gql(user, SEND_MESSAGE, { input: outage });
      expect(retry.errors).toBeUndefined();
      expect(expectData(retry).sendMessage).toMatchObject({ id: duringOutage.id, seq: 2 });
      const fresh = await app.gql(user, SEND_MESSAGE, { input: { threadId, content: 'Postgres is down', clientMessageId: 'after-1' } });
      expect(fresh.errors).toBeUndefined();
      const next = expectData(fresh).sendMessage as AckedMessage;
      expect(next).toMatchObject({ seq: 3, durability: 'HOT' });
      await postgres.start();
      await waitForStoredCount(app.db, [threadId, taken.id], 6, 30_000);
      await expectExactlyStored(app.db, [...warm, duringOutage, next, ...history, takenAck, takenNext]);
    } finally {
      await postgres.start().catch(() => {});
    }
  });
});
