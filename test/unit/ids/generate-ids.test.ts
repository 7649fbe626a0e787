import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidIdError, InvalidInputError } from '../../../src/errors/domain-errors.js';
import { createIdGenerator, ids } from '../../../src/ids/generate-ids.js';
import {
  CONNECTION_ID_REGEX,
  MESSAGE_ID_REGEX,
  ORIGIN_PATTERN,
  REQUEST_ID_REGEX,
  RUN_ID_REGEX,
  THREAD_ID_REGEX,
} from '../../../src/ids/id-formats.js';
import { assertRunInThread, threadIdOf } from '../../../src/ids/parse-ids.js';
import type { RunId, ThreadId } from '../../../src/ids/id-types.js';
import { FIXED_MS, clockOf, countingHex, deterministicDeps } from './deterministic-deps.js';

const counterOf = (id: string, field: number) => id.split('_')[field];

describe('createIdGenerator: thread IDs', () => {
  it('mints thread_<origin>_<epochMs>_<counter>_<hex8> from the injected clock and randomness', () => {
    const generate = createIdGenerator(deterministicDeps());
    expect(generate.threadId()).toBe(`thread_session_${FIXED_MS}_1_00000001`);
    expect(generate.threadId('api')).toBe(`thread_api_${FIXED_MS}_2_00000002`);
  });

  it.each(['session', 'api', 'websocket', 'a', 'x-1', 'z9', 'thread', 'run', 'msg', `a${'b'.repeat(31)}`])(
    'accepts origin %j and produces a canonical thread ID',
    (origin) => {
      const id = createIdGenerator(deterministicDeps()).threadId(origin);
      expect(id).toMatch(THREAD_ID_REGEX);
      expect(id.startsWith(`thread_${origin}_${FIXED_MS}_`)).toBe(true);
    },
  );

  it.each([
    '',
    'Session',
    'API',
    '1api',
    '-api',
    'api_v2',
    'web socket',
    ' api',
    'api ',
    'api\n',
    'sé',
    'ａｐｉ',
    `a${'b'.repeat(32)}`,
    "api'; drop table threads; --",
  ])('rejects origin %j with an INVALID_ID error naming it and the slug pattern', (origin) => {
    const generate = createIdGenerator(deterministicDeps());
    let caught: unknown;
    try {
      generate.threadId(origin);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidIdError);
    const error = caught as InvalidIdError;
    expect(error.code).toBe('INVALID_ID');
    expect(error.message).toContain(`"${origin}"`);
    expect(error.message).toContain(ORIGIN_PATTERN);
  });

  it('does not advance the counter or draw randomness when the origin is rejected', () => {
    const generate = createIdGenerator(deterministicDeps());
    expect(() => generate.threadId('Bad')).toThrow(InvalidIdError);
    expect(generate.threadId()).toBe(`thread_session_${FIXED_MS}_1_00000001`);
  });

  it('increases the thread counter by one per ID, in decimal', () => {
    const generate = createIdGenerator(deterministicDeps());
    const counters = Array.from({ length: 12 }, () => counterOf(generate.threadId(), 3));
    expect(counters).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
  });

  it('keeps counters per generator', () => {
    const first = createIdGenerator(deterministicDeps());
    first.threadId();
    first.threadId();
    const second = createIdGenerator(deterministicDeps());
    expect(counterOf(second.threadId(), 3)).toBe('1');
    expect(counterOf(first.threadId(), 3)).toBe('3');
  });

  it('pads the clock to 13 digits and drops fractions of a millisecond', () => {
    expect(createIdGenerator({ now: () => 5, randomHex8: countingHex() }).threadId()).toBe(
      'thread_session_0000000000005_1_00000001',
    );
    expect(createIdGenerator({ now: () => FIXED_MS + 0.9, randomHex8: countingHex() }).threadId()).toBe(
      `thread_session_${FIXED_MS}_1_00000001`,
    );
  });

  it('reads the clock at each call', () => {
    const generate = createIdGenerator({ now: clockOf(FIXED_MS, FIXED_MS + 1000), randomHex8: countingHex() });
    expect(generate.threadId()).toContain(`_${FIXED_MS}_`);
    expect(generate.threadId()).toContain(`_${FIXED_MS + 1000}_`);
  });
});

describe('createIdGenerator: run IDs', () => {
  it('mints <threadId>_run_<epochMs>_<hex8>, with the clock at the time of the run', () => {
    const generate = createIdGenerator({ now: clockOf(FIXED_MS, FIXED_MS + 203), randomHex8: countingHex() });
    const threadId = generate.threadId();
    const runId = generate.runId(threadId);
    expect(runId).toBe(`${threadId}_run_${FIXED_MS + 203}_00000002`);
    expect(runId).toMatch(RUN_ID_REGEX);
  });

  it('contains its thread ID, which threadIdOf extracts', () => {
    const generate = createIdGenerator(deterministicDeps());
    for (const origin of ['session', 'api', 'thread', 'run']) {
      const threadId = generate.threadId(origin);
      const runId = generate.runId(threadId);
      expect(runId.startsWith(`${threadId}_run_`)).toBe(true);
      expect(threadIdOf(runId)).toBe(threadId);
    }
  });

  it('never repeats a run ID of one thread within one millisecond, even when randomness repeats', () => {
    const repeating = ['aaaaaaaa', 'aaaaaaaa', 'aaaaaaaa', 'bbbbbbbb'];
    const generate = createIdGenerator({ now: () => FIXED_MS, randomHex8: () => repeating.shift() ?? 'ffffffff' });
    const threadId = `thread_session_${FIXED_MS}_1_00000001` as ThreadId;
    expect(generate.runId(threadId)).toBe(`${threadId}_run_${FIXED_MS}_aaaaaaaa`);
    expect(generate.runId(threadId)).toBe(`${threadId}_run_${FIXED_MS}_bbbbbbbb`);
  });

  it('reuses a random part freely across threads and milliseconds, where it cannot collide', () => {
    const generate = createIdGenerator({ now: clockOf(FIXED_MS, FIXED_MS, FIXED_MS + 1), randomHex8: () => 'aaaaaaaa' });
    const first = `thread_session_${FIXED_MS}_1_00000001` as ThreadId;
    const second = `thread_session_${FIXED_MS}_2_00000002` as ThreadId;
    expect(generate.runId(first)).toBe(`${first}_run_${FIXED_MS}_aaaaaaaa`);
    expect(generate.runId(second)).toBe(`${second}_run_${FIXED_MS}_aaaaaaaa`);
    expect(generate.runId(first)).toBe(`${first}_run_${FIXED_MS + 1}_aaaaaaaa`);
  });

  it('fails loudly rather than return a duplicate when randomness is constant', () => {
    const generate = createIdGenerator({ now: () => FIXED_MS, randomHex8: () => 'aaaaaaaa' });
    const threadId = `thread_session_${FIXED_MS}_1_00000001` as ThreadId;
    generate.runId(threadId);
    expect(() => generate.runId(threadId)).toThrow(/randomHex8/);
  });
});

describe('createIdGenerator: message, request and connection IDs', () => {
  it('mints msg_<epochMs>_<counter>_<hex8> with a counter of its own', () => {
    const generate = createIdGenerator(deterministicDeps());
    generate.threadId();
    expect(generate.messageId()).toBe(`msg_${FIXED_MS}_1_00000002`);
    expect(generate.messageId()).toBe(`msg_${FIXED_MS}_2_00000003`);
    expect(generate.messageId()).toMatch(MESSAGE_ID_REGEX);
  });

  it('mints req_ and conn_ IDs from one shared base-36 counter', () => {
    const generate = createIdGenerator(deterministicDeps());
    expect(generate.requestId()).toBe('req_1_00000001');
    expect(generate.connectionId()).toBe('conn_2_00000002');
    const later = Array.from({ length: 40 }, () => generate.requestId());
    expect(later[7]).toBe('req_a_0000000a');
    expect(later[33]).toBe('req_10_00000024');
    for (const id of later) expect(id).toMatch(REQUEST_ID_REGEX);
    expect(generate.connectionId()).toMatch(CONNECTION_ID_REGEX);
  });
});

describe('the default generator', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses the wall clock and 8 lowercase hex characters of randomness', () => {
    // Pin the clock, so the ID's millisecond field must be exactly that reading.
    const pinned = Date.UTC(2026, 11, 6, 12, 0, 0, 123);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(pinned);
    const threadId = ids.threadId('api');
    const messageId = createIdGenerator().messageId();
    for (const [id, msField, hexField] of [[threadId, 2, 4], [messageId, 1, 3]] as const) {
      expect(Number(counterOf(id, msField))).toBe(pinned);
      expect(counterOf(id, hexField)).toMatch(/^[0-9a-f]{8}$/);
    }
    expect(ids.runId(threadId)).toMatch(RUN_ID_REGEX);
    expect(ids.requestId()).toMatch(REQUEST_ID_REGEX);
    expect(ids.connectionId()).toMatch(CONNECTION_ID_REGEX);
  });
});

describe('threadIdOf and assertRunInThread', () => {
  const generate = createIdGenerator(deterministicDeps());
  const threadId = generate.threadId();
  const otherThreadId = generate.threadId();
  const runId = generate.runId(threadId);

  it('accepts a run with its own thread', () => {
    expect(() => assertRunInThread(runId, threadId)).not.toThrow();
  });

  it('rejects a run paired with another thread as BAD_USER_INPUT naming both IDs', () => {
    let caught: unknown;
    try {
      assertRunInThread(runId, otherThreadId);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidInputError);
    expect(caught).not.toBeInstanceOf(InvalidIdError);
    const error = caught as InvalidInputError;
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toContain(runId);
    expect(error.message).toContain(otherThreadId);
    expect(error.details).toEqual({ runId, threadId: otherThreadId });
  });

  it('rejects a thread that is only a prefix of the run’s thread', () => {
    const prefix = threadId.slice(0, -1) as ThreadId;
    expect(() => assertRunInThread(runId, prefix)).toThrow(InvalidInputError);
  });

  it('throws INVALID_ID when handed something that is not a run ID', () => {
    expect(() => threadIdOf(threadId as unknown as RunId)).toThrow(InvalidIdError);
    expect(() => threadIdOf(`run_${threadId}_00000009` as RunId)).toThrow(InvalidIdError);
    expect(() => assertRunInThread('test-run' as RunId, threadId)).toThrow(InvalidIdError);
  });
});
