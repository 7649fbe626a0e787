import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { countValue, createArchiveClient, type ArchiveClient } from '../../src/archive/clickhouse-client.js';
import { CONSUMER_GROUPS, DEAD_LETTER_STREAM, PERSISTENCE_STREAM } from '../../src/storage/redis-keys.js';
import { startChdbHttp, type ChdbHttp } from '../support/chdb-http-process.js';
import { expectData } from '../support/expect-graphql.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { SEND_MESSAGE, waitFor } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { startWorkerProcess, type LogLine, type WorkerProcess } from '../support/worker-process.js';

// Scaled out: the server runs no consumer of its own (RUN_WORKERS_IN_PROCESS=false) and the
// archive is a ClickHouse over HTTP (CLICKHOUSE_URL: chDB behind ClickHouse's HTTP interface, in a
// process of its own). Worker processes started from the real entry point drain the stream into
// Postgres and ClickHouse. The Redis server is this file's own, so its stream holds only what is
// sent here and its trimming can be watched.

const DAY_MS = 86_400_000;
/** Stream trimming runs every 10 s: a deadline that covers two rounds of it on a busy machine. */
const TRIM_DEADLINE_MS = 45_000;

describe('workers out of process, archive over HTTP', () => {
  let redisServer: PrivateRedis;
  let redis: Redis;
  let clickhouse: ChdbHttp;
  let archive: ArchiveClient;
  let app: TestApp;
  let dataDir: string;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    [redisServer, clickhouse] = await Promise.all([startPrivateRedis(), startChdbHttp()]);
    redis = new Redis(redisServer.url);
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'threadline-worker-data-'));
    archive = await createArchiveClient({ kind: 'external', url: clickhouse.url }, pino({ level: 'silent' }), { maxAttempts: 1, timeoutMs: 2_000 });
    app = await startTestApp({ env: { REDIS_URL: redisServer.url, RUN_WORKERS_IN_PROCESS: 'false', CLICKHOUSE_URL: clickhouse.url } });
  }, 120_000);
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
    await archive?.close();
    await clickhouse?.dispose();
    await redisServer?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  function startWorker(args: string[] = [], env: Record<string, string | undefined> = {}): WorkerProcess {
    const worker = startWorkerProcess(args, {
      DATABASE_URL: inject('databaseUrl'),
      REDIS_URL: redisServer.url,
      CLICKHOUSE_URL: clickhouse.url,
      DATA_DIR: dataDir,
      ARCHIVE_FLUSH_INTERVAL_MS: '100',
      ...env,
    });
    workers.push(worker);
    return worker;
  }

  const started = (worker: WorkerProcess) => worker.waitForLog('the worker to start', (line) => line.msg === 'worker started');

  async function threadWithMessages(user: string, count: number): Promise<string> {
    const threadId = expectData(await app.gql(user, 'mutation { createThread(input: { title: "scaled out" }) { id } }')).createThread.id as string;
    for (let i = 0; i < count; i++) expectData(await app.gql(user, SEND_MESSAGE, { input: { threadId, content: `message ${i}` } }));
    return threadId;
  }

  async function runThroughTransitions(user: string, threadId: string): Promise<string> {
    const runId = expectData(await app.gql(user, 'mutation($t: ID!) { startRun(input: { threadId: $t }) { id } }', { t: threadId })).startRun.id as string;
    for (const status of ['IN_PROGRESS', 'COMPLETED']) {
      expectData(await app.gql(user, 'mutation($id: ID!, $s: RunStatus!) { updateRunStatus(input: { id: $id, status: $s }) { id } }', { id: runId, s: status }));
    }
    return runId;
  }

  const messagesInPostgres = async (threadId: string) =>
    Number((await app.db.selectFrom('messages').select((eb) => eb.fn.countAll<string>().as('n')).where('thread_id', '=', threadId).executeTakeFirstOrThrow()).n);

  /** Archived rows of one owner, read through the HTTP interface; duplicates of a redelivery collapsed. */
  async function archivedCount(table: 'messages_archive' | 'run_transitions', ownerId: string): Promise<number> {
    const sql = `SELECT count() AS n FROM ${table} FINAL WHERE owner_id = {ownerId:String}`;
    const rows = await archive.query('testArchivedCount', sql, { ownerId }, z.object({ n: countValue })).catch(() => [{ n: -1 }]);
    return rows[0]?.n ?? 0;
  }

  /** Every group has acknowledged everything: what is left is the newest entry alone (XTRIM MINID keeps its bound). */
  const trimmed = async () => (await redis.xlen(PERSISTENCE_STREAM)) <= 1;

  it('a worker runs the persister and the archiver: messages and run transitions reach Postgres and ClickHouse, and the stream is trimmed', async () => {
    const user = newUserId();
    const threadId = await threadWithMessages(user, 20);
    const runId = await runThroughTransitions(user, threadId);
    // Nothing in the server consumes the stream.
    expect(await messagesInPostgres(threadId)).toBe(0);
    expect(await redis.xlen(PERSISTENCE_STREAM)).toBe(23);

    const worker = startWorker();
    expect(await started(worker)).toMatchObject({ groups: [CONSUMER_GROUPS.postgres, CONSUMER_GROUPS.clickhouse] });
    await waitFor('the messages in Postgres', async () => (await messagesInPostgres(threadId)) === 20);
    expect((await app.db.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirstOrThrow()).status).toBe('COMPLETED');
    await waitFor('the messages and run transitions in ClickHouse', async () =>
      (await archivedCount('messages_archive', user)) === 20 && (await archivedCount('run_transitions', user)) === 3,
    );

    const now = Date.now();
    const analytics = expectData(
      await app.gql(user, 'query($from: DateTime!, $to: DateTime!) { analytics(from: $from, to: $to) { messagesPerDay { count } runStatusCounts { status count } } }', {
        from: new Date(now - DAY_MS).toISOString(),
        to: new Date(now + DAY_MS).toISOString(),
      }),
    ).analytics;
    expect(analytics.messagesPerDay.reduce((sum: number, day: { count: number }) => sum + day.count, 0)).toBe(20);
    expect(analytics.runStatusCounts).toEqual([{ status: 'COMPLETED', count: 1 }]);
    const page = expectData(await app.gql(user, 'query($id: ID!) { thread(id: $id) { messages(last: 20) { edges { node { durability } } } } }', { id: threadId }));
    expect(new Set(page.thread.messages.edges.map((edge: { node: { durability: string } }) => edge.node.durability))).toEqual(new Set(['ARCHIVED']));

    await waitFor('both groups’ acknowledged entries to be trimmed', trimmed, TRIM_DEADLINE_MS, 200);
    expect(await redis.xlen(DEAD_LETTER_STREAM)).toBe(0);
    expect(await worker.stop()).toBe(0);
  }, 120_000);

  it('ClickHouse down: Postgres keeps up, the archive waits in the stream, and catches up over HTTP when ClickHouse returns', async () => {
    const persister = startWorker(['--only', 'persister']);
    const archiver = startWorker(['--only', 'archiver']);
    expect(await started(persister)).toMatchObject({ groups: [CONSUMER_GROUPS.postgres] });
    expect(await started(archiver)).toMatchObject({ groups: [CONSUMER_GROUPS.clickhouse] });
    const warnedOf = (worker: WorkerProcess) => worker.logs.find((line) => line.level === 40 && Array.isArray(line.notRunning))?.notRunning;
    expect([warnedOf(persister), warnedOf(archiver)]).toEqual([['archiver'], ['persister']]);
    // Kill it only once the archiver reads the stream: before, it would wait for the archive's migrations.
    await archiver.waitForLog('the archiver to consume', (line) => line.msg === 'consuming the stream' && line.worker === 'archiver');
    await clickhouse.kill();

    const user = newUserId();
    const threadId = await threadWithMessages(user, 30);
    await waitFor('the messages in Postgres', async () => (await messagesInPostgres(threadId)) === 30);
    const backingOff = (line: LogLine) => line.msg === 'stream consumer failed; backing off';
    await archiver.waitForLog('the archiver to fail against the killed ClickHouse', backingOff);
    // The archive's backlog is kept: nothing the clickhouse group has not acknowledged is trimmed.
    expect(await redis.xlen(PERSISTENCE_STREAM)).toBeGreaterThanOrEqual(30);

    await clickhouse.start();
    await waitFor('the archive to catch up', async () => (await archivedCount('messages_archive', user)) === 30, 60_000);
    await waitFor('the stream to be trimmed', trimmed, TRIM_DEADLINE_MS, 200);
    expect(await redis.xlen(DEAD_LETTER_STREAM)).toBe(0);
    expect(await Promise.all([persister.stop(), archiver.stop()])).toEqual([0, 0]);
  }, 180_000);

  it('with embedded chDB, a worker leaves the archiver to the server, and refuses to run only the archiver', async () => {
    const embedded = { CLICKHOUSE_URL: undefined };
    const worker = startWorker([], embedded);
    expect(await started(worker)).toMatchObject({ groups: [CONSUMER_GROUPS.postgres] });
    expect(worker.logs.find((line) => line.msg.startsWith('not running the archiver'))).toMatchObject({ leftToServer: ['archiver'] });

    const archiverOnly = startWorker(['--only', 'archiver'], embedded);
    expect(await archiverOnly.exited()).toBe(2);
    expect(archiverOnly.logs.find((line) => line.level === 60)?.msg).toMatch(/embedded chDB can be opened by one process only/);
  }, 60_000);

  it('refuses an unknown --only value before it connects to anything', async () => {
    expect(await startWorker(['--only', 'indexer']).exited()).toBe(2);
  }, 60_000);
});
