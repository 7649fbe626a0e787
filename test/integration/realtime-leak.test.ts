import { writeFile } from 'node:fs/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { ids } from '../../src/ids/generate-ids.js';
import type { RunId } from '../../src/ids/id-types.js';
import { threadChannel } from '../../src/storage/redis-keys.js';
import { messageRecordOf } from '../../src/storage/message-record.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs, type Collected, type SocketClient } from '../support/ws-client.js';

/**
 * 200 connections × 3 subscriptions × 10 rounds by default (~20 s on 2 cores). The full
 * size, 1,000 connections, takes ~80 s here, so it runs from bench/leak (LEAK_CONNECTIONS=1000),
 * which also sets LEAK_RESULTS to record the heap per round.
 */
const CONNECTIONS = Number(process.env.LEAK_CONNECTIONS ?? 200);
const ROUNDS = Number(process.env.LEAK_ROUNDS ?? 10);
/** Heap growth allowed between round 3 and the last round, after a full GC. */
const MAX_HEAP_GROWTH_BYTES = 24 * 1024 * 1024;

const SUBSCRIPTIONS = [
  'subscription($threadId: ID!) { messageAdded(threadId: $threadId) { seq } }',
  'subscription($threadId: ID!) { threadEvents(threadId: $threadId) { __typename } }',
  'subscription($runId: ID!) { runUpdated(runId: $runId) { status } }',
];

/** Every way a subscription can end. */
const ENDINGS = ['complete', 'client close', 'abrupt destroy', 'protocol error', 'server-side error'] as const;
type Ending = (typeof ENDINGS)[number];

interface Subscriber {
  user: string;
  thread: Thread;
  runId: RunId;
}

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

describe('realtime leak test', () => {
  let app: TestApp;
  let admin: Redis;
  const subscribers: Subscriber[] = [];

  beforeAll(async () => {
    app = await startTestApp();
    admin = new Redis(inject('redisUrl'));
    const build = seed(app.db);
    for (let i = 0; i < CONNECTIONS; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, CONNECTIONS - i) }, async () => {
          const user = newUserId('leak');
          const thread = await build.thread(user);
          // One message makes the thread hot in Redis, as an active thread is.
          await app.gql(user, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { seq } }', { input: { threadId: thread.id, content: 'hi' } });
          return { user, thread, runId: (await build.run(thread.id)).id };
        }),
      );
      subscribers.push(...batch);
    }
  }, 120_000);
  afterAll(async () => {
    admin.disconnect();
    await app.stop();
  });

  /** A MessageAdded far past the thread's seq, for a message that does not exist: the server ends the subscription with an error. */
  function publishUnreadableMessage(subscriber: Subscriber): Promise<number> {
    const message = {
      id: ids.messageId(),
      threadId: subscriber.thread.id,
      runId: null,
      role: 'USER' as const,
      content: 'never stored',
      metadata: {},
      seq: 1_000,
      clientMessageId: null,
      parts: null,
      actor: null,
      createdAt: new Date(),
      status: 'COMPLETED' as const, revision: 1, editedAt: null, deletedAt: null,
    };
    const event = { type: 'MessageAdded', seq: message.seq, message: messageRecordOf(message, subscriber.user) };
    return admin.publish(threadChannel(subscriber.thread.id), JSON.stringify(event));
  }

  async function open(subscriber: Subscriber): Promise<{ socket: SocketClient; subs: Collected[] }> {
    const socket = await connectAs(app.url, { userId: subscriber.user });
    await socket.acknowledged;
    const variables = { threadId: subscriber.thread.id, runId: subscriber.runId };
    return { socket, subs: SUBSCRIPTIONS.map((query) => collect(socket.client, query, variables)) };
  }

  async function end(ending: Ending, subscriber: Subscriber, { socket, subs }: { socket: SocketClient; subs: Collected[] }): Promise<void> {
    switch (ending) {
      case 'complete':
        // The socket stays open: completing alone must free the registrations (checked below).
        return subs.forEach((sub) => sub.stop());
      case 'client close':
        return socket.client.dispose();
      case 'abrupt destroy':
        return socket.socket().terminate();
      case 'protocol error':
        socket.socket().send('{ not json');
        expect((await socket.closed).code).toBe(4400);
        return;
      case 'server-side error': {
        await publishUnreadableMessage(subscriber);
        await Promise.all([subs[0]!.done, subs[1]!.done]);
        for (const sub of subs.slice(0, 2)) expect(sub.errors.map((e) => e.extensions?.code)).toEqual(['REPLAY_UNAVAILABLE']);
        subs[2]!.stop();
        return socket.client.dispose();
      }
    }
  }

  /** Runs `work` over items, `width` at a time. */
  async function inBatches<T>(items: T[], width: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
    for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map((item, j) => work(item, i + j)));
  }

  async function expectNothingHeld(): Promise<void> {
    await vi.waitFor(
      () => expect([app.realtime.subscriptions, app.realtime.channels, app.realtime.sockets]).toEqual([0, 0, 0]),
      { timeout: 15_000, interval: 50 },
    );
    const channels = subscribers.map((s) => threadChannel(s.thread.id));
    const counts = (await admin.call('PUBSUB', 'NUMSUB', ...channels)) as Array<string | number>;
    expect(counts.filter((_, i) => i % 2 === 1).reduce((sum: number, n) => sum + Number(n), 0)).toBe(0);
    const metrics = await (await fetch(app.url.replace('/graphql', '/metrics'))).text();
    for (const gauge of ['threadline_realtime_subscriptions', 'threadline_realtime_sockets', 'threadline_realtime_redis_channels']) {
      expect(metrics, gauge).toMatch(new RegExp(`^${gauge} 0$`, 'm'));
    }
  }

  it(`${CONNECTIONS} connections × 3 subscriptions, ended every way, ${ROUNDS} rounds: nothing is left and memory stays flat`, async () => {
    const heap: number[] = [];
    const roundMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const opened: Array<Awaited<ReturnType<typeof open>>> = new Array(CONNECTIONS);
      const startedAt = performance.now();
      await inBatches(subscribers, 100, async (subscriber, i) => void (opened[i] = await open(subscriber)));
      await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(3 * CONNECTIONS), { timeout: 15_000, interval: 50 });
      expect(app.realtime.channels).toBe(CONNECTIONS);
      expect(app.realtime.sockets).toBe(CONNECTIONS);

      const endingOf = (i: number) => ENDINGS[(i + round) % ENDINGS.length]!;
      await Promise.all(subscribers.map((subscriber, i) => end(endingOf(i), subscriber, opened[i]!)));
      const completedOnly = opened.filter((_, i) => endingOf(i) === 'complete');
      await vi.waitFor(() => expect(app.realtime.subscriptions).toBe(0), { timeout: 15_000, interval: 50 });
      await vi.waitFor(() => expect(app.realtime.sockets).toBe(completedOnly.length));
      await Promise.all(completedOnly.map(({ socket }) => socket.client.dispose()));
      await expectNothingHeld();
      opened.length = 0;
      collectGarbage();
      heap.push(process.memoryUsage().heapUsed);
      roundMs.push(performance.now() - startedAt);
    }
    if (process.env.LEAK_RESULTS) {
      await writeFile(process.env.LEAK_RESULTS, JSON.stringify({ connections: CONNECTIONS, subscriptionsPerConnection: 3, rounds: ROUNDS, endings: ENDINGS, heapUsedBytes: heap, roundMs }, null, 2));
    }
    const settled = heap[2]!;
    const last = heap[heap.length - 1]!;
    expect(last - settled, `heap per round (MB): ${heap.map((b) => (b / 1048576).toFixed(1)).join(', ')}`).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
  }, 180_000);
});
