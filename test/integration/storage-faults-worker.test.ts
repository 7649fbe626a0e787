import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { UnitOfWork } from '../../src/db/unit-of-work.js';
import type { Thread } from '../../src/domain/thread.js';
import { ids } from '../../src/ids/generate-ids.js';
import { CONSUMER_GROUPS, PERSISTENCE_STREAM } from '../../src/storage/redis-keys.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { seed } from '../support/seed.js';
import { deadLettersOf, expectExactlyStored, waitFor, waitForStoredCount, type AckedMessage } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { startTestPersister } from '../support/test-persister.js';

// The persister as a process of its own (`npm run worker`), killed with SIGKILL while it holds a
// batch, then restarted; and poison entries on the stream. The Redis server is this file's own;
// the servers run no in-process persister, so only the workers started here drain the stream.
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MESSAGES = 3_000;

describe('storage faults: the persister worker', () => {
  let redisServer: PrivateRedis;
  let redis: Redis;
  let app: TestApp;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    redis = new Redis(redisServer.url);
    app = await startTestApp({ env: { REDIS_URL: redisServer.url, RUN_WORKERS_IN_PROCESS: 'false' } });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map(stopWorker));
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
    await redisServer?.dispose();
  });

  function startWorker(consumer: string, env: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/workers/worker-cli.ts', consumer], {
      cwd: REPO,
      env: { ...process.env, DATABASE_URL: inject('databaseUrl'), REDIS_URL: redisServer.url, LOG_LEVEL: 'error', PERSISTER_BATCH_SIZE: '50', ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(child);
    return child;
  }

  async function stopWorker(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGCONT');
      child.kill('SIGTERM');
    });
  }

  const pendingOf = async (consumer: string) => {
    const summary = await redis.xpending(PERSISTENCE_STREAM, CONSUMER_GROUPS.postgres).catch((error) => {
      if (String(error).includes('NOGROUP')) return [0, null, null, null]; // no worker has started yet
      throw error;
    });
    const [, , , consumers] = summary as [number, string, string, Array<[string, string]> | null];
    return Number(consumers?.find(([name]) => name === consumer)?.[1] ?? 0);
  };

  /** Freezes the worker while it holds read-but-unacked entries, then kills it: a crash mid-batch. */
  async function killMidBatch(child: ChildProcess, consumer: string): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
      await waitFor(`${consumer} to hold a batch`, async () => (await pendingOf(consumer)) > 0, 30_000, 2);
      child.kill('SIGSTOP');
      const pending = await pendingOf(consumer);
      if (pending > 0) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
        return pending;
      }
      child.kill('SIGCONT');
    }
    throw new Error(`could not catch ${consumer} holding a batch`);
  }

  /** Acks `count` messages through the message store (the sendMessage resolver's own call), round-robin over the threads. */
  async function sendMessages(user: string, threads: Thread[], count: number): Promise<AckedMessage[]> {
    const acked: AckedMessage[] = [];
    for (let i = 0; i < count; i += 100) {
      const batch = Array.from({ length: Math.min(100, count - i) }, async (_, j) => {
        const uow = new UnitOfWork(app.db);
        const input = {
          id: ids.messageId(),
          ownerId: user,
          threadId: threads[(i + j) % threads.length]!.id,
          runId: null,
          role: 'USER' as const,
          content: `message ${i + j}`,
          metadata: {},
          clientMessageId: null,
          parts: null,
          actor: null,
          durability: 'FAST' as const,
        };
        const message = await app.messageStore.send(input, uow);
        await uow.commit();
        return { ...message, durability: message.durability, clientMessageId: message.clientMessageId } as AckedMessage;
      });
      acked.push(...(await Promise.all(batch)));
    }
    expect(acked.filter((message) => message.durability !== 'HOT').map((m) => m.durability)).toEqual([]);
    return acked;
  }

  async function threadsOf(user: string, count: number): Promise<Thread[]> {
    const threads = [];
    for (let i = 0; i < count; i++) threads.push(await seed(app.db).thread(user));
    return threads;
  }

  it(`kill -9 of a worker holding a batch, restarted under the same name: all ${MESSAGES} messages land once`, async () => {
    const user = newUserId();
    const threads = await threadsOf(user, 10);
    const acked = await sendMessages(user, threads, MESSAGES);
    const threadIds = threads.map((thread) => thread.id);

    const first = startWorker('worker-1');
    const pending = await killMidBatch(first, 'worker-1');
    const { n } = await app.db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('thread_id', 'in', threadIds).executeTakeFirstOrThrow();
    expect(pending).toBeGreaterThan(0);
    expect(Number(n)).toBeLessThan(MESSAGES);

    // Same name: it first re-reads its own pending entries. Reclaiming is put out of reach (an
    // entry would have to sit idle for an hour), so the killed batch can only land that way.
    startWorker('worker-1', { PERSISTER_CLAIM_IDLE_MS: '3600000' });
    await waitForStoredCount(app.db, threadIds, MESSAGES);
    await expectExactlyStored(app.db, acked);
    await waitFor('no entries left pending', async () => (await pendingOf('worker-1')) === 0);
  });

  it('a worker that never comes back: another worker reclaims its pending entries (XAUTOCLAIM)', async () => {
    const user = newUserId();
    const threads = await threadsOf(user, 5);
    const acked = await sendMessages(user, threads, 2_000);

    const doomed = startWorker('worker-doomed');
    const pending = await killMidBatch(doomed, 'worker-doomed');
    expect(pending).toBeGreaterThan(0);
    startWorker('worker-heir', { PERSISTER_CLAIM_IDLE_MS: '1000' });
    await waitForStoredCount(app.db, threads.map((thread) => thread.id), acked.length, 25_000);
    await expectExactlyStored(app.db, acked);
    await waitFor('the dead worker’s entries to be claimed and acked', async () => (await pendingOf('worker-doomed')) === 0);
  });

  it('poison entries go to the dead-letter stream with their error and block nothing behind them', async () => {
    const user = newUserId();
    const threads = await threadsOf(user, 2);
    // The archiver's group reads the same stream and dead-letters the same entries: look at the persister's.
    const deadLetters = () => deadLettersOf(redis, CONSUMER_GROUPS.postgres);
    const deadBefore = (await deadLetters()).length;
    const before = await sendMessages(user, threads, 20);
    const validShape = { ...before[0]!, id: ids.messageId(), threadId: ids.threadId('gone'), ownerId: user, seq: 1, createdAt: new Date().toISOString() };
    const poison = [
      ['type', 'message', 'data', '{"id": "msg_1", trunc'],
      ['type', 'message', 'data', JSON.stringify({ id: 'not-a-message-id', content: 42 })],
      ['type', 'teleport', 'data', '{}'],
      // Well formed, but its thread is not in Postgres: fails on insert, retried alone, then given up.
      ['type', 'message', 'data', JSON.stringify(validShape)],
    ];
    const poisonIds = [];
    for (const fields of poison) poisonIds.push(await redis.xadd(PERSISTENCE_STREAM, '*', ...fields));
    const after = await sendMessages(user, threads, 20);

    const persister = await startTestPersister(redisServer.url, app.db, 'poison-persister', 500);
    try {
      await waitForStoredCount(app.db, threads.map((thread) => thread.id), 40);
      await expectExactlyStored(app.db, [...before, ...after]);
      await waitFor('the poison to be dead-lettered', async () => (await deadLetters()).length === deadBefore + poison.length);
    } finally {
      await persister.stop();
    }
    const dead = (await deadLetters()).slice(deadBefore);
    expect(dead.map((entry) => entry.get('entry'))).toEqual(poisonIds);
    expect(dead.every((entry) => (entry.get('error') ?? '').length > 0)).toBe(true);
    expect(dead[3]!.get('data')).toContain(validShape.id);
    expect(await pendingOf('poison-persister')).toBe(0);
  });
});
