import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { DEAD_LETTER_STREAM } from '../../src/storage/redis-keys.js';
import type { GraphqlResponse } from './test-app.js';

/** What the storage tests ask back from sendMessage. */
export const SEND_MESSAGE = `mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { id threadId seq durability clientMessageId content }
}`;

export interface AckedMessage {
  id: string;
  threadId: string;
  seq: number;
  durability: 'HOT' | 'DURABLE' | 'ARCHIVED';
  clientMessageId: string | null;
  content: string;
}

type Gql = (userId: string, query: string, variables?: Record<string, unknown>) => Promise<GraphqlResponse>;

/**
 * Starts sending `inputs` through the real mutation with at most `concurrency` requests in flight;
 * `acked` and `refused` fill up as responses arrive (tests act on a service meanwhile).
 * An input is acked when the response carries the message; anything else is a refusal.
 */
export function startSending(gql: Gql, userId: string, inputs: Array<Record<string, unknown>>, concurrency: number) {
  const acked: AckedMessage[] = [];
  const refused: Array<{ input: Record<string, unknown>; response: unknown }> = [];
  let next = 0;
  const sender = async () => {
    while (next < inputs.length) {
      const input = inputs[next++] as Record<string, unknown>;
      const response = await gql(userId, SEND_MESSAGE, { input }).catch((error: unknown) => ({ status: 0, error: String(error) }));
      const message = (response as GraphqlResponse).data?.sendMessage as AckedMessage | undefined;
      if (message && !(response as GraphqlResponse).errors) acked.push(message);
      else refused.push({ input, response });
    }
  };
  const done = Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, sender)).then(() => undefined);
  return { acked, refused, done };
}

export async function sendAll(gql: Gql, userId: string, inputs: Array<Record<string, unknown>>, concurrency: number) {
  const sending = startSending(gql, userId, inputs, concurrency);
  await sending.done;
  return { acked: sending.acked, refused: sending.refused };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export function storedMessages(db: Kysely<Database>, threadIds: readonly string[]) {
  return db
    .selectFrom('messages')
    .select(['id', 'thread_id', 'seq', 'content', 'client_message_id'])
    .where('thread_id', 'in', threadIds)
    .orderBy('thread_id')
    .orderBy('seq')
    .execute();
}

/** Waits until Postgres holds `count` messages in these threads. */
export async function waitForStoredCount(db: Kysely<Database>, threadIds: readonly string[], count: number, timeoutMs = 30_000) {
  let seen = -1;
  return waitFor(
    `${count} messages in Postgres`,
    async () => {
      const { n } = await db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('thread_id', 'in', threadIds)
        .executeTakeFirstOrThrow();
      seen = Number(n);
      if (seen > count) throw new Error(`Postgres holds ${seen} messages, more than the ${count} acked`);
      return seen === count;
    },
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message} (last seen: ${seen})`);
  });
}

/**
 * The invariant of the whole storage design: Postgres holds exactly the acked messages (same
 * IDs and contents, none lost, none twice), each thread's seqs run 1..N without a gap, and
 * threads.last_seq is N. With `sameSeqs`, each message is also stored at the seq it was acked with.
 * Returns the messages stored at a seq other than the acked one.
 */
export async function expectExactlyStored(db: Kysely<Database>, acked: readonly AckedMessage[], { sameSeqs = true } = {}) {
  const threadIds = [...new Set(acked.map((message) => message.threadId))];
  const rows = await storedMessages(db, threadIds);
  const ids = rows.map((row) => row.id);
  expect(new Set(ids).size, 'a message stored twice').toBe(ids.length);
  expect([...ids].sort()).toEqual(acked.map((message) => message.id).sort());

  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const message of acked) expect(byId.get(message.id)?.content, message.id).toBe(message.content);

  const lastSeqs = new Map(
    (await db.selectFrom('threads').select(['id', 'last_seq']).where('id', 'in', threadIds).execute()).map((t) => [t.id, t.last_seq]),
  );
  for (const threadId of threadIds) {
    const seqs = rows.filter((row) => row.thread_id === threadId).map((row) => row.seq);
    expect(seqs, `seqs of ${threadId}`).toEqual(seqs.map((_, index) => index + 1));
    expect(lastSeqs.get(threadId), `last_seq of ${threadId}`).toBe(seqs.length);
  }

  const moved = acked.filter((message) => byId.get(message.id)?.seq !== message.seq);
  if (sameSeqs) expect(moved.map((m) => [m.id, m.seq, byId.get(m.id)?.seq]), 'stored at another seq than acked').toEqual([]);
  return moved;
}

/** The dead-letter entries one consumer group wrote (the archiver's group reads the same stream), as field maps. */
export async function deadLettersOf(redis: Redis, group: string): Promise<Array<Map<string, string>>> {
  const entries = await redis.xrange(DEAD_LETTER_STREAM, '-', '+');
  return entries
    .map(([, fields]) => {
      const map = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
      return map;
    })
    .filter((entry) => entry.get('group') === group);
}
