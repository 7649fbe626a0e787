import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEraser, RETENTION_BATCH_SIZE } from '../../src/erasure/eraser.js';
import { ids } from '../../src/ids/generate-ids.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from '../support/private-services.js';
import { waitFor } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

// Retention sweeps every owner's threads, so this file has a Postgres (and a Redis) of its own:
// an eraser on an injected clock a month ahead must find only the threads made here.

const DAY_MS = 86_400_000;
const CREATE = 'mutation($input: CreateThreadInput) { createThread(input: $input) { id retainUntil } }';
const ERASURE = 'query($id: ID!) { erasure(threadId: $id) { status reason } }';

describe('retention', () => {
  let postgres: PrivatePostgres;
  let redisServer: PrivateRedis;
  let redis: Redis;
  let app: TestApp;

  beforeAll(async () => {
    [postgres, redisServer] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    redis = new Redis(redisServer.url);
    app = await startTestApp({ env: { DATABASE_URL: postgres.url, REDIS_URL: redisServer.url, ERASURE_INTERVAL_MS: '50' } });
  }, 90_000);
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
    await Promise.all([redisServer?.dispose(), postgres?.dispose()]);
  });

  /** An eraser over the app's tiers whose clock reads `at`. */
  const eraserAt = (at: Date, retentionDays: number | null) =>
    createEraser({ db: app.db, redis, archive: app.tiers.archive, log: pino({ level: 'silent' }), retentionDays, intervalMs: 50, now: () => at });
  const threadExists = async (id: string) => (await app.db.selectFrom('threads').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
  const createThread = async (user: string, retainUntil?: Date | null) =>
    expectData(await app.gql(user, CREATE, { input: { title: 'kept a while', retainUntil: retainUntil?.toISOString() ?? null } })).createThread;

  it("retainUntil is set and cleared through createThread and updateThread, and refuses what is not a DateTime", async () => {
    const user = newUserId();
    const until = new Date(Date.now() + 10 * DAY_MS);
    const thread = await createThread(user, until);
    expect(thread.retainUntil).toBe(until.toISOString());
    const update = 'mutation($input: UpdateThreadInput!) { updateThread(input: $input) { retainUntil title } }';
    expect(expectData(await app.gql(user, update, { input: { id: thread.id, title: 'renamed' } })).updateThread).toEqual({ retainUntil: until.toISOString(), title: 'renamed' });
    expect(expectData(await app.gql(user, update, { input: { id: thread.id, retainUntil: null } })).updateThread.retainUntil).toBeNull();
    expectError(await app.gql(user, update, { input: { id: thread.id, retainUntil: 'next tuesday' } }), 'BAD_USER_INPUT');
    // Out of the way of the sweeps below, which count every expired thread of this database.
    expectData(await app.gql(user, 'mutation($id: ID!) { deleteThread(id: $id) { status } }', { id: thread.id }));
  });

  it('a thread whose retainUntil has passed is erased by the server on its own, reason RETENTION', async () => {
    const user = newUserId();
    const thread = await createThread(user, new Date(Date.now() - 1_000));
    await waitFor('the expired thread erased', async () => (expectData(await app.gql(user, ERASURE, { id: thread.id })).erasure?.status === 'COMPLETE'));
    expect(expectData(await app.gql(user, ERASURE, { id: thread.id })).erasure).toEqual({ status: 'COMPLETE', reason: 'RETENTION' });
    expect(await threadExists(thread.id)).toBe(false);
  });

  describe('on an injected clock', () => {
    beforeAll(() => app.tiers.eraser.stop());
    afterAll(() => app.tiers.eraser.start());

    it('RETENTION_DAYS expires idle threads; a thread\'s own retainUntil overrides it either way; unset keeps them', async () => {
      const user = newUserId();
      const now = Date.now();
      const idle = (await createThread(user)).id;
      const soon = (await createThread(user, new Date(now + 10 * DAY_MS))).id;
      const late = (await createThread(user, new Date(now + 100 * DAY_MS))).id;
      const monthAhead = new Date(now + 31 * DAY_MS);

      // No RETENTION_DAYS: only a thread's own expiry counts.
      expect((await eraserAt(monthAhead, null).runOnce()).expired).toBe(1);
      expect([await threadExists(idle), await threadExists(soon), await threadExists(late)]).toEqual([true, false, true]);
      // 30 days: the idle thread (last active 31 days before this clock) goes; the later retainUntil keeps its own.
      expect((await eraserAt(monthAhead, 30).runOnce()).expired).toBe(1);
      expect([await threadExists(idle), await threadExists(late)]).toEqual([false, true]);
      expect((await eraserAt(new Date(now + 101 * DAY_MS), 30).runOnce()).expired).toBe(1);
      expect(await threadExists(late)).toBe(false);

      const eraser = eraserAt(new Date(now + 101 * DAY_MS), 30);
      await waitFor('the erasures complete', async () => (await eraser.runOnce()).pending === 0);
      for (const id of [idle, soon, late]) expect(expectData(await app.gql(user, ERASURE, { id })).erasure).toEqual({ status: 'COMPLETE', reason: 'RETENTION' });
    });

    it(`sweeps in bounded batches of ${RETENTION_BATCH_SIZE} threads`, async () => {
      const owner = newUserId();
      const expired = new Date(Date.now() - DAY_MS);
      const rows = Array.from({ length: 2 * RETENTION_BATCH_SIZE + 7 }, () => ({ id: ids.threadId('api'), owner_id: owner, metadata: '{}', retain_until: expired }));
      await app.db.insertInto('threads').values(rows).execute();
      const eraser = eraserAt(new Date(), null);
      const sweeps = [];
      for (let i = 0; i < 4; i++) sweeps.push((await eraser.runOnce()).expired);
      expect(sweeps).toEqual([RETENTION_BATCH_SIZE, RETENTION_BATCH_SIZE, 7, 0]);
      expect(await app.db.selectFrom('threads').select('id').where('owner_id', '=', owner).execute()).toEqual([]);
      await waitFor('the erasures complete', async () => (await eraser.runOnce()).pending === 0);
    });
  });
});
