import type { Redis } from 'ioredis';
import { DEAD_LETTER_STREAM, PERSISTENCE_STREAM } from './redis-keys.js';
import { execAtomically } from './redis-transaction.js';

/**
 * The dead-letter stream: entries of the persistence stream that a consumer group could not
 * write (Postgres or ClickHouse refused them, or they could not be parsed), each with its error.
 * An entry here written by the `postgres` group is an acknowledged message that never reached
 * Postgres: it is counted (threadline_dead_letters, /ready), logged at error level, and an
 * operator lists and replays it (`npm run dead-letters`) once the cause is fixed.
 *
 * Fields of a dead letter: source (stream), group, entry (its ID there), error, then the entry's
 * own fields (type, data), so a replay puts back exactly what was queued.
 */
export interface DeadLetter {
  /** ID in the dead-letter stream. */
  id: string;
  group: string;
  /** The entry's ID in the persistence stream. */
  entry: string;
  error: string;
  /** The record's kind: message, messageCompleted, run, feedback. */
  type: string;
  /** The record's own IDs, when its data could be read. */
  recordId: string | null;
  threadId: string | null;
  /** The entry's fields as queued: what a replay queues again. */
  fields: string[];
}

/**
 * Sets a stream entry aside with its error, in one step with acking it for its group, so it is
 * neither lost nor set aside twice (stream-consumer.ts).
 */
export async function deadLetterEntry(
  redis: Redis,
  entry: { stream: string; group: string; id: string; fields: readonly string[] },
  error: unknown,
): Promise<void> {
  const letter = ['source', entry.stream, 'group', entry.group, 'entry', entry.id, 'error', String(error), ...entry.fields];
  await execAtomically(redis.multi().xadd(DEAD_LETTER_STREAM, '*', ...letter).xack(entry.stream, entry.group, entry.id));
}

/** The IDs a record names, for logs and listings; empty when its data is not JSON. */
export function recordIdsOf(fields: readonly string[]): { recordId: string | null; threadId: string | null } {
  const data = fieldsToMap(fields).get('data');
  try {
    const parsed = JSON.parse(data ?? 'null') as { id?: unknown; threadId?: unknown } | null;
    const text = (value: unknown) => (typeof value === 'string' ? value : null);
    return { recordId: text(parsed?.id), threadId: text(parsed?.threadId) };
  } catch {
    return { recordId: null, threadId: null };
  }
}

export async function countDeadLetters(redis: Redis): Promise<number> {
  return Number(await redis.xlen(DEAD_LETTER_STREAM));
}

/** Dead letters oldest first, at most `limit`. */
export async function listDeadLetters(redis: Redis, limit = 1_000): Promise<DeadLetter[]> {
  const entries = await redis.xrange(DEAD_LETTER_STREAM, '-', '+', 'COUNT', limit);
  return entries.map(([id, fields]) => toDeadLetter(id, fields));
}

/**
 * Queues the named dead letters (all of them when `ids` is empty) on the persistence stream again,
 * each in one atomic step with its removal from the dead-letter stream, so a crash neither loses
 * nor doubles one. Every consumer group reads a replayed entry; writes are idempotent, so a group
 * that had stored it already changes nothing. Returns the dead letters replayed.
 */
export async function replayDeadLetters(redis: Redis, ids: readonly string[] = []): Promise<DeadLetter[]> {
  const chosen = await chooseDeadLetters(redis, ids);
  for (const letter of chosen) {
    await execAtomically(redis.multi().xadd(PERSISTENCE_STREAM, '*', ...letter.fields).xdel(DEAD_LETTER_STREAM, letter.id));
  }
  return chosen;
}

/** Deletes the named dead letters for good (a record no fix can save); returns how many went. */
export async function discardDeadLetters(redis: Redis, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return Number(await redis.xdel(DEAD_LETTER_STREAM, ...ids));
}

async function chooseDeadLetters(redis: Redis, ids: readonly string[]): Promise<DeadLetter[]> {
  if (ids.length === 0) return listDeadLetters(redis, Number.MAX_SAFE_INTEGER);
  const letters: DeadLetter[] = [];
  for (const id of ids) {
    const [entry] = await redis.xrange(DEAD_LETTER_STREAM, id, id);
    if (!entry) throw new Error(`No dead letter ${id}`);
    letters.push(toDeadLetter(entry[0], entry[1]));
  }
  return letters;
}

function toDeadLetter(id: string, fields: string[]): DeadLetter {
  const map = fieldsToMap(fields);
  // The record's own fields follow the four dead-letter fields.
  const own = fields.slice(8);
  return {
    id,
    group: map.get('group') ?? '',
    entry: map.get('entry') ?? '',
    error: map.get('error') ?? '',
    type: fieldsToMap(own).get('type') ?? '',
    ...recordIdsOf(own),
    fields: own,
  };
}

function fieldsToMap(fields: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] as string, fields[i + 1] as string);
  return map;
}
