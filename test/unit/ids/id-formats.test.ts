import { describe, expect, expectTypeOf, it } from 'vitest';
import { createIdGenerator } from '../../../src/ids/generate-ids.js';
import {
  CONNECTION_ID_REGEX,
  EXPECTED_FORMAT,
  LEGACY_PREFIXED_RUN_REGEX,
  MESSAGE_ID_REGEX,
  ORIGIN_PATTERN,
  REQUEST_ID_REGEX,
  RUN_ID_REGEX,
  THREAD_ID_REGEX,
} from '../../../src/ids/id-formats.js';
import type { MessageId, NodeId, RunId, ThreadId } from '../../../src/ids/id-types.js';
import { parseNodeId, parseRunId, parseThreadId, threadIdOf } from '../../../src/ids/parse-ids.js';
import { deterministicDeps } from './deterministic-deps.js';

const THREAD = 'thread_session_1757372478799_528_584ef8a5';
const RUN = `${THREAD}_run_1757372479002_9c1d22aa`;
const MESSAGE = 'msg_1757372479002_17_0b1c2d3e';
const exampleOf = (kind: keyof typeof EXPECTED_FORMAT) => EXPECTED_FORMAT[kind].split('e.g. ')[1] ?? '';

describe('format regexes', () => {
  it.each([
    ['thread', THREAD_ID_REGEX, THREAD],
    ['run', RUN_ID_REGEX, RUN],
    ['message', MESSAGE_ID_REGEX, MESSAGE],
    ['request', REQUEST_ID_REGEX, 'req_1z_0123abcd'],
    ['connection', CONNECTION_ID_REGEX, 'conn_1z_0123abcd'],
  ])('anchor the %s format at both ends', (_kind, regex, id) => {
    expect(regex.test(id)).toBe(true);
    expect(regex.test(`x${id}`)).toBe(false);
    expect(regex.test(`${id}x`)).toBe(false);
    expect(regex.test(`${id}\n`)).toBe(false);
  });

  it('keep the kinds apart: no ID matches another kind’s format', () => {
    const formats = [THREAD_ID_REGEX, RUN_ID_REGEX, MESSAGE_ID_REGEX, REQUEST_ID_REGEX, CONNECTION_ID_REGEX];
    const samples = [THREAD, RUN, MESSAGE, 'req_1_0123abcd', 'conn_1_0123abcd'];
    const matches = samples.map((id) => formats.map((regex) => regex.test(id)));
    expect(matches).toEqual(samples.map((_, row) => formats.map((_, column) => row === column)));
  });

  it('capture the thread inside a run ID', () => {
    expect(RUN_ID_REGEX.exec(RUN)?.[1]).toBe(THREAD);
  });

  it('capture the thread and hex of a legacy run_ ID', () => {
    const match = LEGACY_PREFIXED_RUN_REGEX.exec(`run_${THREAD}_9c1d22aa`);
    expect(match?.slice(1)).toEqual([THREAD, '9c1d22aa']);
    expect(LEGACY_PREFIXED_RUN_REGEX.test(`run_${THREAD}`)).toBe(false);
  });

  it.each([
    ['session', true],
    ['a', true],
    [`a${'0'.repeat(31)}`, true],
    [`a${'0'.repeat(32)}`, false],
    ['web-socket', true],
    ['web_socket', false],
    ['9a', false],
    ['Api', false],
  ])('ORIGIN_PATTERN decides %j: %s', (origin, accepted) => {
    expect(new RegExp(`^${ORIGIN_PATTERN}$`).test(origin)).toBe(accepted);
    expect(THREAD_ID_REGEX.test(THREAD.replace('session', origin))).toBe(accepted);
  });

  it.each([
    [`req_${'z'.repeat(16)}_0123abcd`, true],
    [`req_${'z'.repeat(17)}_0123abcd`, false],
    ['req__0123abcd', false],
    ['req_A_0123abcd', false],
    ['req_1_0123ABCD', false],
  ])('REQUEST_ID_REGEX decides %j: %s', (id, accepted) => {
    expect(REQUEST_ID_REGEX.test(id)).toBe(accepted);
    expect(CONNECTION_ID_REGEX.test(id.replace('req_', 'conn_'))).toBe(accepted);
  });
});

describe('EXPECTED_FORMAT', () => {
  it('quotes examples that are themselves valid, and a run example that embeds the thread example', () => {
    expect(exampleOf('thread')).toMatch(THREAD_ID_REGEX);
    expect(exampleOf('run')).toMatch(RUN_ID_REGEX);
    expect(exampleOf('message')).toMatch(MESSAGE_ID_REGEX);
    expect(exampleOf('run').startsWith(`${exampleOf('thread')}_run_`)).toBe(true);
  });

  it('describes the fields of each format', () => {
    expect(EXPECTED_FORMAT.thread).toMatch(/^thread_<origin>_<epochMs>_<counter>_<hex8>/);
    expect(EXPECTED_FORMAT.run).toMatch(/^<threadId>_run_<epochMs>_<hex8>/);
    expect(EXPECTED_FORMAT.message).toMatch(/^msg_<epochMs>_<counter>_<hex8>/);
  });
});

describe('branded ID types', () => {
  it('are plain strings at runtime', () => {
    const generate = createIdGenerator(deterministicDeps());
    const threadId = generate.threadId();
    expect(typeof threadId).toBe('string');
    expect(typeof generate.runId(threadId)).toBe('string');
    expect(JSON.parse(JSON.stringify({ threadId }))).toEqual({ threadId });
  });

  it('come only from the generators and parsers, which the compiler enforces', () => {
    expectTypeOf(parseThreadId(THREAD)).toEqualTypeOf<ThreadId>();
    expectTypeOf(parseRunId(RUN)).toEqualTypeOf<RunId>();
    expectTypeOf(threadIdOf(parseRunId(RUN))).toEqualTypeOf<ThreadId>();
    expectTypeOf(parseNodeId(RUN)).toEqualTypeOf<NodeId>();
    expectTypeOf<ThreadId>().toExtend<string>();
    expectTypeOf<string>().not.toExtend<ThreadId>();
    expectTypeOf<ThreadId>().not.toExtend<RunId>();
    expectTypeOf<RunId>().not.toExtend<ThreadId>();
    expectTypeOf<MessageId>().not.toExtend<ThreadId>();

    // @ts-expect-error a raw string is not a ThreadId
    const raw: ThreadId = THREAD;
    // @ts-expect-error a run ID is not a thread ID, though it starts with one
    const crossed: ThreadId = parseRunId(RUN);
    // @ts-expect-error threadIdOf takes a RunId, not a string
    expect(() => threadIdOf(THREAD)).toThrow();
    expect([raw, crossed]).toEqual([THREAD, RUN]);
  });

  it('narrow a node ID by its kind', () => {
    const node = parseNodeId(RUN);
    if (node.kind !== 'run') throw new Error(`expected a run, got ${node.kind}`);
    expectTypeOf(node.id).toEqualTypeOf<RunId>();
    expect(threadIdOf(node.id)).toBe(THREAD);
  });
});
