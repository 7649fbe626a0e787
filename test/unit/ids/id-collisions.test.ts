import { describe, expect, it } from 'vitest';
import { createIdGenerator, ids, type IdGenerator } from '../../../src/ids/generate-ids.js';
import {
  CONNECTION_ID_REGEX,
  MESSAGE_ID_REGEX,
  REQUEST_ID_REGEX,
  RUN_ID_REGEX,
  THREAD_ID_REGEX,
} from '../../../src/ids/id-formats.js';
import type { ThreadId } from '../../../src/ids/id-types.js';
import { FIXED_MS } from './deterministic-deps.js';

const COUNT = 100_000;
const TIMEOUT_MS = 120_000;

type Kind = 'thread' | 'run' | 'message' | 'request' | 'connection';
const FORMATS: Record<Kind, RegExp> = {
  thread: THREAD_ID_REGEX,
  run: RUN_ID_REGEX,
  message: MESSAGE_ID_REGEX,
  request: REQUEST_ID_REGEX,
  connection: CONNECTION_ID_REGEX,
};

/**
 * One ID of the kind. All runs go to a single thread: that is the hardest case, since a run ID
 * has no counter and only its clock and random part tell it apart from its siblings.
 */
function minter(generate: IdGenerator, kind: Kind, runThread: ThreadId): () => string {
  switch (kind) {
    case 'thread': return () => generate.threadId('api');
    case 'run': return () => generate.runId(runThread);
    case 'message': return () => generate.messageId();
    case 'request': return () => generate.requestId();
    case 'connection': return () => generate.connectionId();
  }
}

function expectDistinctAndWellFormed(list: string[], kind: Kind, expectedCount: number): void {
  expect(list).toHaveLength(expectedCount);
  expect(new Set(list).size).toBe(expectedCount);
  expect(list.filter((id) => !FORMATS[kind].test(id))).toEqual([]);
}

const KINDS = Object.keys(FORMATS) as Kind[];
const GENERATORS: Array<[string, () => IdGenerator]> = [
  ['the process-wide ids', () => ids],
  ['a fresh default generator', () => createIdGenerator()],
  ['a generator with a frozen clock', () => createIdGenerator({ now: () => FIXED_MS })],
];

describe.each(GENERATORS)('%s', (_name, makeGenerator) => {
  it.each(KINDS)(`mints ${COUNT} distinct %s IDs in a row`, (kind) => {
    const generate = makeGenerator();
    const mint = minter(generate, kind, generate.threadId());
    expectDistinctAndWellFormed(Array.from({ length: COUNT }, mint), kind, COUNT);
  }, TIMEOUT_MS);

  it.each(KINDS)(`mints ${COUNT} distinct %s IDs from 1000 interleaved async tasks`, async (kind) => {
    const generate = makeGenerator();
    const mint = minter(generate, kind, generate.threadId());
    const order: number[] = [];
    const task = async (taskIndex: number) => {
      const minted: string[] = [];
      for (let i = 0; i < COUNT / 1000; i++) {
        await Promise.resolve();
        minted.push(mint());
        order.push(taskIndex);
      }
      return minted;
    };
    const perTask = await Promise.all(Array.from({ length: 1000 }, (_, index) => task(index)));
    // The tasks really did take turns: the second ID of all minted came from another task.
    expect(order[0]).toBe(0);
    expect(order[1]).toBe(1);
    expectDistinctAndWellFormed(perTask.flat(), kind, COUNT);
  }, TIMEOUT_MS);
});

describe('a frozen clock', () => {
  it('gives every ID the same millisecond, so counters and randomness alone keep them apart', () => {
    const generate = createIdGenerator({ now: () => FIXED_MS });
    const threadId = generate.threadId();
    const runs = Array.from({ length: 1000 }, () => generate.runId(threadId));
    expect(threadId).toContain(`_${FIXED_MS}_`);
    expect(runs.every((id) => id.startsWith(`${threadId}_run_${FIXED_MS}_`))).toBe(true);
    expect(new Set(runs).size).toBe(runs.length);
  });
});

describe('two processes with the same frozen clock and real randomness', () => {
  const PER_PROCESS = 50_000;
  const processes = () => [createIdGenerator({ now: () => FIXED_MS }), createIdGenerator({ now: () => FIXED_MS })] as const;

  it.each(['thread', 'message', 'request', 'connection'] as const)(
    `mint ${PER_PROCESS} %s IDs each with no collision: the same counters, told apart by the random part`,
    (kind) => {
      const [first, second] = processes();
      const unused = '' as ThreadId;
      const fromFirst = Array.from({ length: PER_PROCESS }, minter(first, kind, unused));
      const fromSecond = Array.from({ length: PER_PROCESS }, minter(second, kind, unused));
      // Both counters ran 1..N in the same millisecond: only the random part differs.
      const withoutRandom = (id: string) => id.slice(0, -8);
      expect(fromFirst.map(withoutRandom)).toEqual(fromSecond.map(withoutRandom));
      expectDistinctAndWellFormed([...fromFirst, ...fromSecond], kind, 2 * PER_PROCESS);
    },
    TIMEOUT_MS,
  );

  it(`mint ${PER_PROCESS} run IDs each for threads they share, with no collision`, () => {
    const [first, second] = processes();
    // Cross-process runs of one thread in one millisecond differ only by 32 random bits. 10,000
    // shared threads with 5 runs from each process make 250,000 cross pairs: ~6e-5 chance of a
    // collision. (One thread with 50,000 runs from each would collide more often than not.)
    const threads = Array.from({ length: 10_000 }, () => first.threadId());
    const runsOf = (generate: IdGenerator) => threads.flatMap((threadId) => Array.from({ length: 5 }, () => generate.runId(threadId)));
    expectDistinctAndWellFormed([...runsOf(first), ...runsOf(second)], 'run', 2 * PER_PROCESS);
  }, TIMEOUT_MS);
});
