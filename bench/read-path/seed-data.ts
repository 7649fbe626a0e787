import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { signUserToken } from '../../src/context/bearer-token.js';
import type { Database } from '../../src/db/database.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import { BENCH_JWT_SECRET } from '../shared/bench-server.js';
import { callGraphql } from './graphql-call.js';

/** The shape of one bench user's data: every user gets the same. Defaults are the issue's. */
export interface DataShape {
  threads: number;
  messagesPerThread: number;
  runsPerThread: number;
  /** Characters of each message's content. */
  contentChars: number;
}

/** A user whose threads the bench reads. */
export interface BenchUser {
  userId: string;
  token: string;
  threadIds: string[];
}

const CREATE_THREAD = 'mutation($input: CreateThreadInput) { createThread(input: $input) { id } }';
const START_RUN = 'mutation($input: StartRunInput!) { startRun(input: $input) { id } }';
const SEND_MESSAGE = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }';
const ROLES = ['USER', 'ASSISTANT'] as const;

/**
 * Writes one user's threads through Threadline's own API (FAST sends), so they sit in the
 * Redis windows exactly as a client would have left them. The runs split each thread's messages
 * between them; the first messages of a thread belong to no run.
 */
export async function seedUserThroughApi(url: string, userId: string, shape: DataShape): Promise<BenchUser> {
  const token = await signUserToken(userId, BENCH_JWT_SECRET);
  const threadIds: string[] = [];
  for (let t = 0; t < shape.threads; t++) {
    const { createThread } = await callGraphql<{ createThread: { id: string } }>(url, token, CREATE_THREAD, {
      input: { title: `Read bench ${userId} thread ${t}`, metadata: { bench: 'read-path', index: t } },
    });
    const runIds: string[] = [];
    for (let r = 0; r < shape.runsPerThread; r++) {
      const { startRun } = await callGraphql<{ startRun: { id: string } }>(url, token, START_RUN, { input: { threadId: createThread.id } });
      runIds.push(startRun.id);
    }
    for (let m = 0; m < shape.messagesPerThread; m++) {
      // Messages past the first third belong to a run, each run to an equal share of them.
      const runIndex = Math.floor((m * (runIds.length + 1)) / shape.messagesPerThread) - 1;
      await callGraphql(url, token, SEND_MESSAGE, {
        input: {
          threadId: createThread.id,
          role: ROLES[m % ROLES.length],
          content: messageContent(t, m, shape.contentChars),
          metadata: { index: m },
          durability: 'FAST',
          ...(runIndex >= 0 ? { runId: runIds[runIndex] } : {}),
        },
      });
    }
    threadIds.push(createThread.id);
  }
  return { userId, token, threadIds };
}

function messageContent(thread: number, message: number, chars: number): string {
  const head = `Thread ${thread}, message ${message}: `;
  return head + 'lorem ipsum dolor sit amet '.repeat(Math.ceil(chars / 27)).slice(0, Math.max(0, chars - head.length));
}

/** Waits until the persister has committed `expected` messages in all, so both servers read the same rows. */
export async function waitForPersisted(db: Kysely<Database>, expected: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { rows } = await sql<{ count: string }>`select count(*) as count from messages`.execute(db);
    const count = Number(rows[0]?.count ?? 0);
    if (count >= expected) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`only ${count} of ${expected} messages reached Postgres in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Removes every key of the threads' Redis hot state, so Threadline must serve them from Postgres. */
export async function evictHotState(redis: Redis, threadIds: string[]): Promise<number> {
  let removed = 0;
  for (const threadId of threadIds) {
    const keys = Object.values(threadKeys(threadId as ThreadId));
    // threadKeys names every per-thread key; a scan of the hash tag catches any it does not name.
    const scanned = await redis.keys(`tl:{${threadId}}:*`);
    const all = [...new Set([...keys, ...scanned])];
    removed += await redis.del(...all);
  }
  return removed;
}
