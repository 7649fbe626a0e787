import { randomFillSync } from 'node:crypto';
import type { ConnectionId, MessageId, RequestId, RunId, ThreadId } from './id-types.js';
import { ORIGIN_PATTERN } from './id-formats.js';
import { InvalidIdError } from '../errors/domain-errors.js';

export interface IdGeneratorDeps {
  /** Milliseconds since the epoch. Default: `Date.now`. */
  now?: () => number;
  /** Eight lowercase hex characters. Default: 4 bytes from `crypto.randomFillSync`, drawn 4 KiB at a time. */
  randomHex8?: () => string;
}

const ORIGIN_REGEX = new RegExp(`^${ORIGIN_PATTERN}$`);

/**
 * The one place IDs are minted. Counters are per generator (one per process in production),
 * so IDs from one process never collide even within a millisecond; the random part keeps
 * processes apart.
 */
export function createIdGenerator(deps: IdGeneratorDeps = {}) {
  // Read through `Date` at each call (not a captured `Date.now`), so a pinned clock applies.
  const now = deps.now ?? (() => Date.now());
  const randomHex8 = deps.randomHex8 ?? pooledRandomHex8();
  let threadCounter = 0;
  let messageCounter = 0;
  let edgeCounter = 0;
  const epochMs = () => String(Math.trunc(now())).padStart(13, '0');
  const edgeId = (prefix: string) => `${prefix}_${(++edgeCounter).toString(36)}_${randomHex8()}`;
  // Run IDs have no counter in their format, so within one millisecond only the random part tells
  // two runs of a thread apart (a 2^-32 chance per pair, likely over ~100k runs). Remembering this
  // millisecond's run IDs and drawing again on a repeat keeps the "never collide" promise above.
  let runMs = '';
  const runsThisMs = new Set<string>();

  return {
    threadId(origin = 'session'): ThreadId {
      if (!ORIGIN_REGEX.test(origin)) {
        throw new InvalidIdError(`Invalid thread origin "${origin}": expected a lowercase slug matching ${ORIGIN_PATTERN}`);
      }
      return `thread_${origin}_${epochMs()}_${++threadCounter}_${randomHex8()}` as ThreadId;
    },
    runId(threadId: ThreadId): RunId {
      const ms = epochMs();
      if (ms !== runMs) {
        runMs = ms;
        runsThisMs.clear();
      }
      for (let attempt = 0; attempt < 16; attempt++) {
        const id = `${threadId}_run_${ms}_${randomHex8()}`;
        if (!runsThisMs.has(id)) {
          runsThisMs.add(id);
          return id as RunId;
        }
      }
      throw new Error('randomHex8 returned an already used value 16 times in a row: it is not random');
    },
    messageId(): MessageId {
      return `msg_${epochMs()}_${++messageCounter}_${randomHex8()}` as MessageId;
    },
    requestId(): RequestId {
      return edgeId('req') as RequestId;
    },
    connectionId(): ConnectionId {
      return edgeId('conn') as ConnectionId;
    },
  };
}

export type IdGenerator = ReturnType<typeof createIdGenerator>;

/**
 * Four random bytes a call, from a pool refilled 4 KiB at a time: every request mints an ID, and
 * one call to the system's random source per 1,024 IDs costs far less than one per ID. The same
 * CSPRNG either way, and no byte is handed out twice.
 */
function pooledRandomHex8(): () => string {
  const pool = Buffer.alloc(4096);
  let offset = pool.length;
  return () => {
    if (offset === pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    offset += 4;
    return pool.toString('hex', offset - 4, offset);
  };
}

/** The process-wide generator: one set of counters per process, as the formats require. */
export const ids: IdGenerator = createIdGenerator();
