import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isRunning } from '../../src/data-dir/process-inspection.js';
import { freePort } from '../support/free-port.js';
import { startServer, spawnServer, stopServer, type ServerProcess } from '../support/server-process.js';
import { newUserId, TEST_JWT_SECRET, tokenFor } from '../support/test-app.js';

// The real server process with everything embedded (Postgres, redis-server, chDB) in a DATA_DIR
// of its own, on free ports: what `npm start` runs, killed the hard way.

const servers: ServerProcess[] = [];
const directories: string[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await stopServer(server);
});
afterAll(async () => {
  for (const directory of directories) {
    // Whatever a failing run left behind must not outlive it.
    for (const pid of await serverPids(directory)) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    await rm(directory, { recursive: true, force: true });
  }
});

async function newDeployment() {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-crash-'));
  // As root, the embedded Postgres runs as `postgres`, which must be able to enter.
  await chmod(directory, 0o755);
  directories.push(directory);
  const ports = { http: await freePort(), postgres: await freePort(), redis: await freePort() };
  const env = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(ports.http),
    EMBEDDED_PG_PORT: String(ports.postgres),
    EMBEDDED_REDIS_PORT: String(ports.redis),
    DATA_DIR: path.join(directory, 'data'),
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'info',
  };
  const start = async (extra: Record<string, string> = {}) => {
    const server = await startServer({ ...env, ...extra });
    servers.push(server);
    return server;
  };
  const url = `http://127.0.0.1:${ports.http}`;
  const databaseUrl = `postgres://threadline:threadline-embedded@127.0.0.1:${ports.postgres}/threadline`;
  return { directory, env, ports, url, databaseUrl, start };
}

/** The PIDs the embedded servers of a deployment wrote into their pid files, if any. */
async function serverPids(directory: string): Promise<number[]> {
  const files = [path.join(directory, 'data/postgres/postmaster.pid'), path.join(directory, 'data/redis/redis-server.pid')];
  const pids = await Promise.all(files.map((file) => readFile(file, 'utf8').then((text) => Number(text.split('\n')[0]), () => NaN)));
  return pids.filter((pid) => Number.isInteger(pid) && pid > 0);
}

async function gql(url: string, userId: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(userId)}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** Sends `count` FAST messages, `concurrency` at a time, and returns every ack. */
async function sendBurst(url: string, userId: string, threadId: string, count: number, concurrency = 16) {
  const acks: Array<{ id: string; seq: number; content: string }> = [];
  let next = 0;
  const sender = async () => {
    while (next < count) {
      const content = `burst message ${next++}`;
      const data = await gql(url, userId, 'mutation ($input: SendMessageInput!) { sendMessage(input: $input) { id seq content durability } }', {
        input: { threadId, content },
      });
      expect(data.sendMessage.durability).toBe('HOT');
      acks.push(data.sendMessage);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return acks;
}

async function readAllMessages(url: string, userId: string, threadId: string) {
  const messages: Array<{ id: string; seq: number; content: string }> = [];
  let after: string | null = null;
  for (;;) {
    const data = await gql(url, userId, 'query ($id: ID!, $after: String) { thread(id: $id) { messages(first: 100, after: $after) { edges { node { id seq content } } pageInfo { hasNextPage endCursor } } } }', {
      id: threadId,
      after,
    });
    const page = data.thread.messages;
    messages.push(...page.edges.map((edge: { node: { id: string; seq: number; content: string } }) => edge.node));
    if (!page.pageInfo.hasNextPage) return messages;
    after = page.pageInfo.endCursor;
  }
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 500)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const byId = (messages: Array<{ id: string; seq: number; content: string }>) =>
  [...messages].sort((a, b) => a.id.localeCompare(b.id)).map(({ id, seq, content }) => ({ id, seq, content }));

describe('a server killed with SIGKILL', () => {
  it('starts again with one command on the same DATA_DIR, and every message it acked is there', async () => {
    const deployment = await newDeployment();
    // After its first batch the persister waits: most acked messages are in Redis alone at the kill.
    const first = await deployment.start({ PERSISTER_FLUSH_INTERVAL_MS: '60000' });
    const userId = newUserId('crash');
    const { createThread } = await gql(deployment.url, userId, 'mutation { createThread(input: { title: "crash" }) { id } }');
    const acks = await sendBurst(deployment.url, userId, createThread.id, 300);
    expect((await storedMessages(deployment.databaseUrl, createThread.id)).length).toBeLessThan(acks.length);

    first.child.kill('SIGKILL');
    await first.waitForExit();
    // What made the next start fail: its embedded Postgres and redis-server live on.
    const orphans = await serverPids(deployment.directory);
    expect(orphans).toHaveLength(2);
    expect(orphans.every(isRunning)).toBe(true);

    const second = await deployment.start();
    expect(orphans.some(isRunning)).toBe(false);
    const ready = await (await fetch(`${deployment.url}/ready`)).json();
    expect(ready).toMatchObject({ status: 'ready', writePath: 'redis' });

    expect(byId(await readAllMessages(deployment.url, userId, createThread.id))).toEqual(byId(acks));
    const stored = await waitFor(
      () => storedMessages(deployment.databaseUrl, createThread.id),
      (rows) => rows.length >= acks.length,
      'every acked message in Postgres',
    );
    expect(byId(stored)).toEqual(byId(acks));
    expect(await stopServer(second)).toEqual({ code: 0, signal: null });
  }, 240_000);

  it('refuses a second server on a DATA_DIR whose owner is alive, and leaves the owner running', async () => {
    const deployment = await newDeployment();
    const owner = await deployment.start();

    const intruder = spawnServer({ ...deployment.env, PORT: String(await freePort()) });
    servers.push(intruder);
    expect(await intruder.waitForExit(120_000)).toEqual({ code: 1, signal: null });
    const refusal = intruder.logs.find((line) => line.msg?.startsWith('failed to start'));
    expect(refusal?.msg).toContain(`failed to start: DATA_DIR ${deployment.env.DATA_DIR} is in use by a running Threadline process (pid ${owner.pid}`);
    expect(refusal?.msg).toContain(`Stop that process first (it shuts down cleanly on SIGTERM: kill ${owner.pid})`);

    expect(owner.child.exitCode).toBeNull();
    const ready = await (await fetch(`${deployment.url}/ready`)).json();
    expect(ready).toMatchObject({ status: 'ready', writePath: 'redis' });
  }, 240_000);

  it('leaves no embedded server running when a start fails half-way', async () => {
    const deployment = await newDeployment();
    // The embedded Postgres starts, then redis-server cannot: its port is taken.
    const squatter: Server = createServer().listen(deployment.ports.redis, '127.0.0.1');
    await new Promise((resolve) => squatter.once('listening', resolve));
    try {
      const failing = spawnServer(deployment.env);
      servers.push(failing);
      expect(await failing.waitForExit(120_000)).toEqual({ code: 1, signal: null });
      expect(failing.logs.some((line) => line.msg === 'embedded Postgres started')).toBe(true);
      expect(failing.output()).toContain(`Port ${deployment.ports.redis} is already in use`);
      expect(existsSync(path.join(deployment.env.DATA_DIR, 'postgres/postmaster.pid'))).toBe(false);
    } finally {
      squatter.close();
    }
  }, 240_000);
});

async function storedMessages(databaseUrl: string, threadId: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; seq: number; content: string }>('select id, seq, content from messages where thread_id = $1', [threadId]);
    return rows;
  } finally {
    await client.end();
  }
}
