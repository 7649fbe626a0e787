import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../src/db/create-database.js';
import type { Database } from '../../src/db/database.js';
import { freePort } from '../support/free-port.js';
import { openRawConnection, type RawConnection } from '../support/raw-http.js';
import { seed } from '../support/seed.js';
import { startServer, stopServer, type ServerProcess } from '../support/server-process.js';
import { newUserId, TEST_JWT_SECRET, tokenFor } from '../support/test-app.js';
import { connectAs } from '../support/ws-client.js';

// The real server process (src/main.ts) is sent SIGTERM while a mutation waits on a row lock that
// this test holds from its own Postgres connection: the mutation is in flight for as long as the
// test wants, with nothing mocked.

let db: Kysely<Database>;
let dataDir: string;
let server: ServerProcess | undefined;
const opened: Array<{ close(): unknown }> = [];

beforeAll(async () => {
  db = createDatabase({ connectionString: inject('databaseUrl') });
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'threadline-drain-'));
});
afterEach(async () => {
  for (const resource of opened.splice(0)) await resource.close();
  await stopServer(server);
});
afterAll(async () => {
  await db.destroy();
  await rm(dataDir, { recursive: true, force: true });
});

async function startWithGrace(graceMs: number) {
  const port = await freePort();
  server = await startServer({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    JWT_SECRET: TEST_JWT_SECRET,
    DATA_DIR: dataDir,
    SHUTDOWN_GRACE_MS: String(graceMs),
    LOG_LEVEL: 'info',
  });
  return { server, port, url: `http://127.0.0.1:${port}/graphql` };
}

/** BEGIN; SELECT … FOR UPDATE on the thread's row, from a connection of the test's own. */
async function lockThreadRow(threadId: string) {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  opened.push({ close: () => client.end() });
  await client.query('begin');
  await client.query('select 1 from threads where id = $1 for update', [threadId]);
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  const holder = rows[0]!.pid;
  return {
    /** Whether some statement waits for this lock now. */
    async hasWaiter() {
      const { rows: waiting } = await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [holder]);
      return waiting[0]!.n > 0;
    },
    release: (outcome: 'commit' | 'rollback') => client.query(outcome),
  };
}

async function sendUpdateTitle(connection: RawConnection, userId: string, threadId: string, title: string) {
  connection.send({
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(userId)}` },
    body: JSON.stringify({
      query: 'mutation ($input: UpdateThreadInput!) { updateThread(input: $input) { id title } }',
      variables: { input: { id: threadId, title } },
    }),
  });
}

/** A GET on a connection of its own: resolves with the status, rejects when the connection is refused. */
function getOnNewConnection(port: number, route: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: route, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const titleOf = async (threadId: string) =>
  (await db.selectFrom('threads').select('title').where('id', '=', threadId as never).executeTakeFirstOrThrow()).title;

describe('shutdown on SIGTERM', () => {
  it('answers the mutation in flight, says draining on /ready, refuses new connections and closes idle ones and sockets (1001)', async () => {
    const { port, url } = await startWithGrace(60_000);
    const userId = newUserId('drain');
    const thread = await seed(db).thread(userId, { title: 'before' });
    const idle = await openRawConnection(port);
    opened.push({ close: () => idle.destroy() });
    idle.send({ method: 'GET', path: '/health' });
    expect((await idle.responses(1))[0]!.status).toBe(200);
    const socket = await connectAs(url, { userId });
    await socket.acknowledged;
    opened.push({ close: () => socket.client.dispose() });

    const lock = await lockThreadRow(thread.id);
    const busy = await openRawConnection(port);
    opened.push({ close: () => busy.destroy() });
    await sendUpdateTitle(busy, userId, thread.id, 'after');
    await waitFor(() => lock.hasWaiter(), 'the mutation to wait for the row lock');

    server!.child.kill('SIGTERM');
    await server!.waitForLog((line) => line.msg === 'draining HTTP requests', 20_000);
    // Pipelined behind the mutation: a request that reaches the server during the drain.
    busy.send({ method: 'GET', path: '/ready' });
    await idle.closed;
    expect(await socket.closed).toMatchObject({ code: 1001 });
    await expect(getOnNewConnection(port, '/health')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await lock.hasWaiter()).toBe(true);

    await lock.release('commit');
    const [mutation, ready] = await busy.responses(2);
    expect(mutation!.status).toBe(200);
    expect(JSON.parse(mutation!.body)).toEqual({ data: { updateThread: { id: thread.id, title: 'after' } } });
    expect(ready!.status).toBe(503);
    expect(JSON.parse(ready!.body)).toMatchObject({ status: 'draining' });
    expect(await server!.waitForExit()).toEqual({ code: 0, signal: null });
    expect(await titleOf(thread.id)).toBe('after');
  }, 120_000);

  it('cuts a request that outlives SHUTDOWN_GRACE_MS, rolls it back, and still stops', async () => {
    const { port } = await startWithGrace(500);
    const userId = newUserId('drain-deadline');
    const thread = await seed(db).thread(userId, { title: 'before' });
    const lock = await lockThreadRow(thread.id);
    const busy = await openRawConnection(port);
    opened.push({ close: () => busy.destroy() });
    await sendUpdateTitle(busy, userId, thread.id, 'after');
    await waitFor(() => lock.hasWaiter(), 'the mutation to wait for the row lock');

    server!.child.kill('SIGTERM');
    await server!.waitForLog((line) => line.msg === 'shutdown deadline passed: closing the requests still in flight', 20_000);
    await expect(busy.responses(1)).rejects.toThrow(/connection closed after 0 of 1 responses/);
    // Stopped while the lock is still held: the cut statement was cancelled, not waited for.
    expect(await server!.waitForExit()).toEqual({ code: 0, signal: null });
    expect(await lock.hasWaiter()).toBe(false);
    await lock.release('commit');
    expect(await titleOf(thread.id)).toBe('before');
  }, 120_000);
});
