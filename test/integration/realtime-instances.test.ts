import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { threadChannel } from '../../src/storage/redis-keys.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { freePort } from '../support/free-port.js';
import { newUserId, startTestApp, TEST_JWT_SECRET, tokenFor, type TestApp } from '../support/test-app.js';
import { collect, connectAs } from '../support/ws-client.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MESSAGE_ADDED = 'subscription($threadId: ID!, $afterSeq: Int) { messageAdded(threadId: $threadId, afterSeq: $afterSeq) { seq content } }';
const RUN_UPDATED = 'subscription($runId: ID!) { runUpdated(runId: $runId) { id status } }';
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { seq } }';

describe('two server instances sharing Postgres and Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: Redis;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestApp(), startTestApp()]);
    admin = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    admin.disconnect();
    await Promise.all([a.stop(), b.stop()]);
  });

  const subscribersOf = async (threadId: string) =>
    ((await admin.call('PUBSUB', 'NUMSUB', threadChannel(threadId as ThreadId))) as [string, number])[1];

  it('delivers to a subscriber on A what is sent through B, with one Redis channel per instance', async () => {
    const owner = newUserId();
    const thread = await seed(a.db).thread(owner);
    const onA = await connectAs(a.url, { userId: owner });
    const onB = await connectAs(b.url, { userId: owner });
    const subsOnA = [0, 1, 2].map(() => collect(onA.client, MESSAGE_ADDED, { threadId: thread.id, afterSeq: 0 }));
    const subOnB = collect(onB.client, MESSAGE_ADDED, { threadId: thread.id, afterSeq: 0 });
    await vi.waitFor(() => {
      expect(a.realtime.subscriptions).toBe(3);
      expect(b.realtime.subscriptions).toBe(1);
    });
    await vi.waitFor(async () => expect(await subscribersOf(thread.id)).toBe(2));

    for (const content of ['via B', 'via B again']) expectData(await b.gql(owner, SEND, { input: { threadId: thread.id, content } }));
    expectData(await a.gql(owner, SEND, { input: { threadId: thread.id, content: 'via A' } }));
    const expected = [
      { seq: 1, content: 'via B' },
      { seq: 2, content: 'via B again' },
      { seq: 3, content: 'via A' },
    ];
    for (const sub of [...subsOnA, subOnB]) expect((await sub.received(3)).map((e) => e.messageAdded)).toEqual(expected);

    // A leaves the channel only when its last local subscriber goes.
    subsOnA[0]!.stop();
    subsOnA[1]!.stop();
    await vi.waitFor(() => expect(a.realtime.subscriptions).toBe(1));
    expect(await subscribersOf(thread.id)).toBe(2);
    subsOnA[2]!.stop();
    subOnB.stop();
    await vi.waitFor(async () => expect(await subscribersOf(thread.id)).toBe(0));
    expect([a.realtime.channels, b.realtime.channels]).toEqual([0, 0]);
    await Promise.all([onA.client.dispose(), onB.client.dispose()]);
  });

  it('routes run updates made through B to a runUpdated subscriber on A', async () => {
    const owner = newUserId();
    const thread = await seed(a.db).thread(owner);
    const run = await seed(a.db).run(thread.id);
    const { client } = await connectAs(a.url, { userId: owner });
    const sub = collect(client, RUN_UPDATED, { runId: run.id });
    await vi.waitFor(async () => expect(await subscribersOf(thread.id)).toBe(1));
    expectData(await b.gql(owner, 'mutation($input: UpdateRunStatusInput!) { updateRunStatus(input: $input) { id } }', { input: { id: run.id, status: 'IN_PROGRESS' } }));
    expect((await sub.received(1))[0].runUpdated).toEqual({ id: run.id, status: 'IN_PROGRESS' });
    sub.stop();
    await client.dispose();
  });
});

describe('server shutdown', () => {
  it('closes every socket with 1001, removes every registration and leaves every Redis channel', async () => {
    const app = await startTestApp();
    const admin = new Redis(inject('redisUrl'));
    try {
      const owner = newUserId();
      const threads = [await seed(app.db).thread(owner), await seed(app.db).thread(owner)];
      const sockets = [await connectAs(app.url, { userId: owner }), await connectAs(app.url, { userId: owner })];
      const subs = sockets.flatMap(({ client }) => threads.map((thread) => collect(client, MESSAGE_ADDED, { threadId: thread.id })));
      await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(4));
      await app.stop();
      expect([app.realtime.subscriptions, app.realtime.channels, app.realtime.sockets]).toEqual([0, 0, 0]);
      for (const { closed } of sockets) expect((await closed).code).toBe(1001);
      await Promise.all(subs.map((sub) => sub.done));
      const counts = (await admin.call('PUBSUB', 'NUMSUB', ...threads.map((t) => threadChannel(t.id)))) as Array<string | number>;
      expect(counts.filter((_, i) => i % 2 === 1).map(Number)).toEqual([0, 0]);
    } finally {
      admin.disconnect();
    }
  });
});

describe('two server processes sharing Postgres and Redis', () => {
  let app: TestApp;
  let other: ChildProcess;
  let otherUrl: string;
  let admin: Redis;
  const dataDir = path.join(os.tmpdir(), `threadline-second-process-${process.pid}`);

  beforeAll(async () => {
    app = await startTestApp();
    admin = new Redis(inject('redisUrl'));
    const port = await freePort();
    otherUrl = `http://127.0.0.1:${port}/graphql`;
    // src/main.ts, as `npm run dev` runs it: a second OS process with its own registry and Redis connections.
    other = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: inject('databaseUrl'),
        REDIS_URL: inject('redisUrl'),
        JWT_SECRET: TEST_JWT_SECRET,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        // Its persister and archiver are not what this test is about: the in-process app drains the stream.
        RUN_WORKERS_IN_PROCESS: 'false',
        CLICKHOUSE_URL: `http://127.0.0.1:${await freePort()}`,
        LOG_LEVEL: 'fatal',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await vi.waitFor(async () => expect((await fetch(otherUrl.replace(/graphql$/, 'ready')).catch(() => null))?.status).toBe(200), {
      timeout: 60_000,
      interval: 200,
    });
  }, 90_000);
  afterAll(async () => {
    if (other && other.exitCode === null && other.signalCode === null) {
      await new Promise<void>((resolve) => {
        other.once('exit', () => resolve());
        other.kill('SIGTERM');
      });
    }
    admin?.disconnect();
    await app?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function sendThrough(url: string, userId: string, threadId: string, content: string): Promise<void> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await tokenFor(userId)}` },
      body: JSON.stringify({ query: SEND, variables: { input: { threadId, content } } }),
    });
    expectData({ status: response.status, ...((await response.json()) as object) });
  }

  it('delivers to a subscriber of each process what is sent through the other, in seq order', async () => {
    const owner = newUserId();
    const thread = await seed(app.db).thread(owner);
    const here = await connectAs(app.url, { userId: owner });
    const there = await connectAs(otherUrl, { userId: owner });
    const subHere = collect(here.client, MESSAGE_ADDED, { threadId: thread.id, afterSeq: 0 });
    const subThere = collect(there.client, MESSAGE_ADDED, { threadId: thread.id, afterSeq: 0 });
    // Both processes have subscribed to the thread's Redis channel: each holds its subscription.
    const channelSubscribers = async () => ((await admin.call('PUBSUB', 'NUMSUB', threadChannel(thread.id as ThreadId))) as [string, number])[1];
    await vi.waitFor(async () => expect(await channelSubscribers()).toBe(2));

    await sendThrough(otherUrl, owner, thread.id, 'through the other process');
    await sendThrough(app.url, owner, thread.id, 'through this one');
    const expected = [
      { seq: 1, content: 'through the other process' },
      { seq: 2, content: 'through this one' },
    ];
    expect((await subHere.received(2)).map((e) => e.messageAdded)).toEqual(expected);
    expect((await subThere.received(2)).map((e) => e.messageAdded)).toEqual(expected);
    subHere.stop();
    subThere.stop();
    await Promise.all([here.client.dispose(), there.client.dispose()]);
  });
});
