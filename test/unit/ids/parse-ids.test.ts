import { describe, expect, it } from 'vitest';
import { InvalidIdError } from '../../../src/errors/domain-errors.js';
import { EXPECTED_FORMAT } from '../../../src/ids/id-formats.js';
import { parseMessageId, parseNodeId, parseRunId, parseThreadId, threadIdOf } from '../../../src/ids/parse-ids.js';

const THREAD = 'thread_session_1757372478799_528_584ef8a5';
const RUN = `${THREAD}_run_1757372479002_9c1d22aa`;
const MESSAGE = 'msg_1757372479002_17_0b1c2d3e';
/** Origin "thread" is a valid slug, so this canonical ID legitimately starts `thread_thread_`. */
const THREAD_FROM_THREAD_ORIGIN = 'thread_thread_1757372478799_3_00c0ffee';

type Kind = keyof typeof EXPECTED_FORMAT;
const PARSERS: Record<Exclude<Kind, 'node'>, (value: unknown) => unknown> = {
  thread: parseThreadId,
  run: parseRunId,
  message: parseMessageId,
};

/** Runs `parse`, expecting an INVALID_ID error, and returns it. */
function rejection(parse: (value: unknown) => unknown, value: unknown): InvalidIdError {
  try {
    parse(value);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidIdError);
    return error as InvalidIdError;
  }
  throw new Error(`expected ${String(value)} to be rejected`);
}

describe('canonical IDs', () => {
  it.each([
    ['thread', THREAD],
    ['thread', THREAD_FROM_THREAD_ORIGIN],
    ['thread', 'thread_a_0000000000000_1_00000000'],
    ['thread', `thread_${'a'.repeat(32)}_9999999999999_${'9'.repeat(15)}_ffffffff`],
    ['run', RUN],
    ['run', `${THREAD_FROM_THREAD_ORIGIN}_run_1757372479002_9c1d22aa`],
    ['run', 'thread_run_1757372478799_1_00000000_run_1757372478799_00000000'],
    ['message', MESSAGE],
    ['message', `msg_0000000000000_${'1'.repeat(15)}_abcdef09`],
  ] as const)('%s %s parses to itself', (kind, id) => {
    expect(PARSERS[kind](id)).toBe(id);
    expect(parseNodeId(id)).toEqual({ kind, id });
  });

  it('accepts the examples quoted in the error messages', () => {
    const example = (kind: Kind) => EXPECTED_FORMAT[kind].split('e.g. ')[1];
    expect(parseThreadId(example('thread'))).toBe(example('thread'));
    expect(parseRunId(example('run'))).toBe(example('run'));
    expect(parseMessageId(example('message'))).toBe(example('message'));
  });
});

describe('legacy and damaged forms', () => {
  it('maps legacy run_<threadId>_<hex8> to a canonical run stamped with its thread’s time', () => {
    const canonical = `${THREAD}_run_1757372478799_9c1d22aa`;
    expect(parseRunId(`run_${THREAD}_9c1d22aa`)).toBe(canonical);
    expect(parseRunId(`run_${THREAD}_9c1d22aa`)).toBe(canonical);
    expect(threadIdOf(parseRunId(`run_${THREAD}_9c1d22aa`))).toBe(THREAD);
    expect(parseNodeId(`run_${THREAD}_9c1d22aa`)).toEqual({ kind: 'run', id: canonical });
  });

  it('repairs a double-prefixed thread inside a legacy run_ ID', () => {
    expect(parseRunId(`run_thread_${THREAD}_9c1d22aa`)).toBe(`${THREAD}_run_1757372478799_9c1d22aa`);
    expect(parseRunId(`run_thread_thread_${THREAD}_9c1d22aa`)).toBe(`${THREAD}_run_1757372478799_9c1d22aa`);
  });

  it('maps a legacy run_ ID of a thread whose origin is "thread"', () => {
    const canonical = `${THREAD_FROM_THREAD_ORIGIN}_run_1757372478799_9c1d22aa`;
    expect(parseRunId(`run_${THREAD_FROM_THREAD_ORIGIN}_9c1d22aa`)).toBe(canonical);
    expect(parseRunId(`run_thread_${THREAD_FROM_THREAD_ORIGIN}_9c1d22aa`)).toBe(canonical);
  });

  it.each([1, 2, 5])('repairs %i extra thread_ prefixes on thread and run IDs', (extra) => {
    const prefix = 'thread_'.repeat(extra);
    expect(parseThreadId(prefix + THREAD)).toBe(THREAD);
    expect(parseRunId(prefix + RUN)).toBe(RUN);
    expect(parseNodeId(prefix + THREAD)).toEqual({ kind: 'thread', id: THREAD });
    expect(parseNodeId(prefix + RUN)).toEqual({ kind: 'run', id: RUN });
    expect(parseThreadId(prefix + THREAD_FROM_THREAD_ORIGIN)).toBe(THREAD_FROM_THREAD_ORIGIN);
  });

  it('reads thread_thread_<digits> as origin "thread", never collapsing it away', () => {
    expect(parseThreadId(THREAD_FROM_THREAD_ORIGIN)).toBe(THREAD_FROM_THREAD_ORIGIN);
    expect(() => parseThreadId('thread_1757372478799_3_00c0ffee')).toThrow(InvalidIdError);
  });

  it('parses a repairable ID of exactly 256 characters and rejects one of 257', () => {
    // 26 extra prefixes (182 chars) + a 74-char thread ID (28-char origin, 15-digit counter).
    const threadOf = (originLength: number) => `thread_${'o'.repeat(originLength)}_1757372478799_${'1'.repeat(15)}_584ef8a5`;
    const atLimit = 'thread_'.repeat(26) + threadOf(28);
    const overLimit = 'thread_'.repeat(26) + threadOf(29);
    expect(atLimit).toHaveLength(256);
    expect(overLimit).toHaveLength(257);
    expect(parseThreadId(atLimit)).toBe(threadOf(28));
    expect(rejection(parseThreadId, overLimit).message).toContain(`${overLimit.slice(0, 80)}…`);
  });
});

const near = (id: string, from: string, to: string) => id.replace(from, to);

/** How an error message shows a value: strings quoted (cut at 80 characters), the rest as text. */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  try {
    return String(value);
  } catch {
    return '[object Object]';
  }
}

/** Values no parser accepts, with why. */
const GARBAGE: Array<[string, unknown]> = [
  ['empty', ''],
  ['a number', 42],
  ['NaN', Number.NaN],
  ['null', null],
  ['undefined', undefined],
  ['a boolean', true],
  ['an object', { id: THREAD }],
  ['an array', [THREAD]],
  ['a null-prototype object', Object.create(null)],
  ['a symbol', Symbol('thread')],
  ['a bigint', 10n],
  ['an object whose toString throws', { toString: () => { throw new Error('boom'); } }],
  ['leading space', ` ${THREAD}`],
  ['trailing space', `${THREAD} `],
  ['trailing newline', `${THREAD}\n`],
  ['uppercase hex', near(THREAD, '584ef8a5', '584EF8A5')],
  ['uppercase prefix', near(THREAD, 'thread_', 'THREAD_')],
  ['too long', 'a'.repeat(257)],
  ['too long, valid-looking', `${THREAD}_${'0'.repeat(250)}`],
  ['test-run', 'test-run'],
  ['SQL injection', "'; DROP TABLE runs; --"],
  ['SQL injection after an ID', `${THREAD}' OR '1'='1`],
  ['unicode origin', near(THREAD, 'session', 'séssion')],
  ['fullwidth digits', near(THREAD, '528', '５２８')],
  ['emoji', '🧵'],
  ['12-digit time', near(THREAD, '1757372478799', '175737247879')],
  ['14-digit time', near(THREAD, '1757372478799', '17573724787990')],
  ['16-digit counter', near(THREAD, '_528_', `_${'5'.repeat(16)}_`)],
  ['7-char hex', THREAD.slice(0, -1)],
  ['9-char hex', `${THREAD}0`],
  ['no counter', near(THREAD, '_528_', '_')],
  ['underscore in origin', near(THREAD, 'session', 'web_socket')],
  ['43-char origin', near(THREAD, 'session', 'a'.repeat(33))],
  ['run_ without hex', `run_${THREAD}`],
  ['req ID', 'req_1_00000001'],
  ['conn ID', 'conn_1_00000001'],
  ['bare UUID', '0f8fad5b-d9cb-469f-a165-70867728950e'],
  ['base64 relay ID', Buffer.from(`Thread:${THREAD}`).toString('base64')],
];

describe('rejection of garbage', () => {
  describe.each(Object.entries(PARSERS))('parse %s ID', (kind, parse) => {
    it.each(GARBAGE)('rejects %s', (_why, value) => {
      const error = rejection(parse, value);
      expect(error.code).toBe('INVALID_ID');
      expect(error.message).toBe(`Invalid ${kind} ID ${shown(value)}: expected ${EXPECTED_FORMAT[kind as Kind]}`);
      expect(error.details).toEqual({ value, kind });
    });
  });

  it.each(GARBAGE)('parseNodeId rejects %s with the node format', (_why, value) => {
    const error = rejection(parseNodeId, value);
    expect(error.code).toBe('INVALID_ID');
    expect(error.message).toBe(`Invalid node ID ${shown(value)}: expected ${EXPECTED_FORMAT.node}`);
    expect(error.details).toEqual({ value, kind: 'node' });
  });

  it.each([
    ['a string, quoted', 'test-run', '"test-run"'],
    ['a string with quotes, escaped', `a"b`, '"a\\"b"'],
    ['a number', 42, 'ID 42:'],
    ['null', null, 'ID null:'],
    ['undefined', undefined, 'ID undefined:'],
    ['a long string, cut at 80 characters', 'x'.repeat(300), `"${'x'.repeat(80)}…"`],
  ])('names the value in the message: %s', (_why, value, shown) => {
    expect(rejection(parseThreadId, value).message).toContain(shown);
  });

  it('keeps the full value in the details even when the message cuts it', () => {
    const value = 'x'.repeat(300);
    expect(rejection(parseRunId, value).details.value).toBe(value);
  });

  it.each([
    ['a message ID as a thread', parseThreadId, MESSAGE],
    ['a run ID as a thread', parseThreadId, RUN],
    ['a thread ID as a run', parseRunId, THREAD],
    ['a message ID as a run', parseRunId, MESSAGE],
    ['a thread ID as a message', parseMessageId, THREAD],
    ['a legacy run as a thread', parseThreadId, `run_${THREAD}_9c1d22aa`],
    ['a prefixed message', parseMessageId, `thread_${MESSAGE}`],
  ])('rejects %s', (_why, parse, value) => {
    expect(() => parse(value)).toThrow(InvalidIdError);
  });
});

describe('parseNodeId', () => {
  it.each([
    [THREAD, { kind: 'thread', id: THREAD }],
    [`thread_${THREAD}`, { kind: 'thread', id: THREAD }],
    [RUN, { kind: 'run', id: RUN }],
    [`thread_thread_${RUN}`, { kind: 'run', id: RUN }],
    [MESSAGE, { kind: 'message', id: MESSAGE }],
    [THREAD_FROM_THREAD_ORIGIN, { kind: 'thread', id: THREAD_FROM_THREAD_ORIGIN }],
  ])('reads %s by its shape', (value, expected) => {
    expect(parseNodeId(value)).toEqual(expected);
  });
});
