import { inject } from 'vitest';

/**
 * The databases of the shared test Redis that one test file has to itself (one whose stream no
 * other file's persister may drain, or which it flushes). Test files run in parallel: two files on
 * one database drain or flush each other's streams. One table, so a number is taken once.
 */
const REDIS_DATABASES = {
  streamTrim: 7,
  messageEdits: 8,
  storageHotPath: 9,
  storageReads: 10,
  storageConcurrency: 11,
  readState: 12,
  streamConsumerPacing: 13,
  requiredActions: 14,
  messageFeedback: 15,
} as const;

const numbers = Object.values(REDIS_DATABASES);
if (new Set(numbers).size !== numbers.length) throw new Error('test/support/redis-databases.ts: a Redis database is given to two test files');

/** The URL of the shared test Redis, on the database that belongs to `file`. */
export function redisUrlOf(file: keyof typeof REDIS_DATABASES): string {
  return `${inject('redisUrl')}/${REDIS_DATABASES[file]}`;
}
