import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidIdError, InvalidInputError } from '../../../src/errors/domain-errors.js';
import { createIdGenerator } from '../../../src/ids/generate-ids.js';
import { MESSAGE_ID_REGEX, RUN_ID_REGEX, THREAD_ID_REGEX } from '../../../src/ids/id-formats.js';
import {
  assertRunInThread,
  parseMessageId,
  parseNodeId,
  parseRunId,
  parseThreadId,
  threadIdOf,
} from '../../../src/ids/parse-ids.js';
import type { NodeId } from '../../../src/ids/id-types.js';

const RUNS = { numRuns: 5_000 };

/** Slugs, weighted toward the ones that look like other parts of an ID. */
const origin = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/), weight: 4 },
  { arbitrary: fc.constantFrom('thread', 'run', 'msg', 'req', 'thread-thread', 'session'), weight: 1 },
);
/** 13-digit clocks: 2001-09-09 to 2286-11-20. */
const clock = fc.integer({ min: 1_000_000_000_000, max: 9_999_999_999_999 });
const hex8 = fc.stringMatching(/^[0-9a-f]{8}$/);
const warmUps = fc.nat({ max: 20 });

/** A thread, a run and a message minted by a generator with an arbitrary clock and randomness. */
const minted = fc
  .record({ origin, threadMs: clock, runMs: clock, messageMs: clock, hexes: fc.array(hex8, { minLength: 3, maxLength: 3 }), warmUps })
  .map(({ origin, threadMs, runMs, messageMs, hexes, warmUps }) => {
    const instants = [...Array<number>(warmUps * 2).fill(threadMs), threadMs, runMs, messageMs];
    const draws = [...Array<string>(warmUps * 2).fill('00000000'), ...hexes];
    const generate = createIdGenerator({ now: () => instants.shift() ?? 0, randomHex8: () => draws.shift() ?? '' });
    for (let i = 0; i < warmUps; i++) {
      generate.threadId(origin);
      generate.messageId();
    }
    const threadId = generate.threadId(origin);
    return { origin, threadMs, hexes, threadId, runId: generate.runId(threadId), messageId: generate.messageId() };
  });

/** Thread IDs built field by field, with counters the generator would take long to reach. */
const builtThread = fc
  .tuple(origin, clock, fc.stringMatching(/^[0-9]{1,15}$/), hex8)
  .map(([origin, ms, counter, hex]) => `thread_${origin}_${ms}_${counter}_${hex}`);

/** Strings near the ID formats, so the parsers' edges get exercised, not only their first check. */
const nearMiss = fc
  .tuple(
    fc.constantFrom('', 'thread_', 'thread_thread_', 'run_', 'run_thread_', 'msg_', 'THREAD_'),
    fc.stringMatching(/^[a-zA-Z0-9_ -]{0,60}$/),
    fc.constantFrom('', '_run_1757372479002_9c1d22aa', '_9c1d22aa', '_', ' '),
  )
  .map((parts) => parts.join(''));

const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  nearMiss,
  minted.map(({ threadId }) => threadId),
  minted.map(({ runId }) => runId),
);

const PARSERS: Record<string, (value: unknown) => string | NodeId> = { parseThreadId, parseRunId, parseMessageId, parseNodeId };

/** Calls parse; fails the property if it throws anything but an INVALID_ID error. */
function parsedOrRejected<T>(parse: (value: unknown) => T, value: unknown): T | undefined {
  try {
    return parse(value);
  } catch (error) {
    if (!(error instanceof InvalidIdError) || error.code !== 'INVALID_ID') throw error;
    return undefined;
  }
}

describe('generated IDs', () => {
  it('match their formats and round-trip through the parsers and threadIdOf', () => {
    fc.assert(
      fc.property(minted, ({ origin, threadId, runId, messageId }) => {
        expect(threadId).toMatch(THREAD_ID_REGEX);
        expect(threadId.startsWith(`thread_${origin}_`)).toBe(true);
        expect(runId).toMatch(RUN_ID_REGEX);
        expect(messageId).toMatch(MESSAGE_ID_REGEX);
        expect(parseThreadId(threadId)).toBe(threadId);
        expect(parseRunId(runId)).toBe(runId);
        expect(parseMessageId(messageId)).toBe(messageId);
        expect(threadIdOf(parseRunId(runId))).toBe(threadId);
        expect(parseNodeId(threadId)).toEqual({ kind: 'thread', id: threadId });
        expect(parseNodeId(runId)).toEqual({ kind: 'run', id: runId });
        expect(parseNodeId(messageId)).toEqual({ kind: 'message', id: messageId });
        assertRunInThread(runId, threadId);
      }),
      RUNS,
    );
  });

  it('pair a run only with its own thread', () => {
    fc.assert(
      fc.property(minted, builtThread, ({ threadId, runId }, other) => {
        fc.pre(other !== threadId);
        expect(() => assertRunInThread(runId, parseThreadId(other))).toThrow(InvalidInputError);
      }),
      RUNS,
    );
  });

  it('built field by field are canonical', () => {
    fc.assert(
      fc.property(builtThread, (threadId) => {
        expect(parseThreadId(threadId)).toBe(threadId);
        expect(parseNodeId(threadId)).toEqual({ kind: 'thread', id: threadId });
      }),
      RUNS,
    );
  });
});

describe('legacy forms of generated IDs', () => {
  it('parse to the same canonical ID, however many thread_ prefixes were added', () => {
    fc.assert(
      fc.property(minted, fc.integer({ min: 1, max: 6 }), ({ threadId, runId }, extra) => {
        const prefix = 'thread_'.repeat(extra);
        expect(parseThreadId(prefix + threadId)).toBe(threadId);
        expect(parseRunId(prefix + runId)).toBe(runId);
        expect(parseNodeId(prefix + runId)).toEqual({ kind: 'run', id: runId });
      }),
      RUNS,
    );
  });

  it('run_<threadId>_<hex8> maps to the run minted in its thread’s millisecond with that hex', () => {
    fc.assert(
      fc.property(minted, hex8, fc.integer({ min: 0, max: 4 }), ({ threadId, threadMs }, hex, extra) => {
        const canonical = `${threadId}_run_${threadMs}_${hex}`;
        const legacy = `run_${'thread_'.repeat(extra)}${threadId}_${hex}`;
        expect(parseRunId(legacy)).toBe(canonical);
        expect(parseRunId(legacy)).toBe(parseRunId(legacy));
        expect(threadIdOf(parseRunId(legacy))).toBe(threadId);
        expect(parseNodeId(legacy)).toEqual({ kind: 'run', id: canonical });
      }),
      RUNS,
    );
  });
});

describe('parsing arbitrary input', () => {
  it.each(Object.entries(PARSERS))('%s never throws anything but INVALID_ID, and is idempotent', (_name, parse) => {
    fc.assert(
      fc.property(anyString, (value) => {
        const once = parsedOrRejected(parse, value);
        if (once === undefined) return;
        expect(parse(typeof once === 'string' ? once : once.id)).toEqual(once);
      }),
      RUNS,
    );
  });

  it.each(Object.entries(PARSERS))('%s rejects any non-string with INVALID_ID', (_name, parse) => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true }),
        (value) => {
          fc.pre(typeof value !== 'string');
          expect(parsedOrRejected(parse, value)).toBeUndefined();
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('only ever returns IDs in the formats Postgres enforces', () => {
    fc.assert(
      fc.property(anyString, (value) => {
        const node = parsedOrRejected(parseNodeId, value);
        if (node === undefined) return;
        const format = { thread: THREAD_ID_REGEX, run: RUN_ID_REGEX, message: MESSAGE_ID_REGEX }[node.kind];
        expect(node.id).toMatch(format);
        if (node.kind === 'run') expect(node.id.startsWith(`${threadIdOf(node.id)}_run_`)).toBe(true);
      }),
      RUNS,
    );
  });

  it('rejects a generated ID with any hex letter in upper case', () => {
    fc.assert(
      fc.property(minted, fc.nat(), ({ threadId, runId, messageId }, pick) => {
        const cases = [[threadId, parseThreadId], [runId, parseRunId], [messageId, parseMessageId]] as const;
        for (const [id, parse] of cases) {
          const letters = [...id.slice(-8)].flatMap((char, at) => (/[a-f]/.test(char) ? [id.length - 8 + at] : []));
          const index = letters[pick % Math.max(letters.length, 1)];
          if (index === undefined) continue;
          const shouted = id.slice(0, index) + id.charAt(index).toUpperCase() + id.slice(index + 1);
          expect(() => parse(shouted)).toThrow(InvalidIdError);
        }
      }),
      RUNS,
    );
  });
});
