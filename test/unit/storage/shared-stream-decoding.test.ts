import { describe, expect, it } from 'vitest';
import { createSharedStreamDecoding, decodeEachTime } from '../../../src/storage/shared-stream-decoding.js';
import { streamFieldsOf } from '../../../src/storage/stream-records.js';
import type { MessageRecord } from '../../../src/storage/message-record.js';

const RECORD: MessageRecord = {
  id: 'msg_1757372479002_1_0b1c2d3e', threadId: 'thread_test_1757372478799_1_584ef8a5', ownerId: 'user-1', runId: null, role: 'USER',
  content: 'hi', parts: null, metadata: {}, seq: 1, clientMessageId: null, createdAt: '2026-12-06T09:00:00.000Z', status: 'COMPLETED',
  actor: null, revision: 1, editedAt: null, deletedAt: null,
};
const FIELDS = streamFieldsOf({ type: 'message', record: RECORD });
const POISON = ['type', 'message', 'data', '{"id":"not a message"}'];

describe('decoding a stream entry once for the consumers of a process', () => {
  it('gives every reader the first decoding, then forgets it once all have read it', () => {
    const decode = createSharedStreamDecoding(2);
    const first = decode('1-0', FIELDS);
    expect(first).toEqual({ type: 'message', record: RECORD });
    expect(decode('1-0', FIELDS)).toBe(first);
    // Both groups have read it: a third read (a redelivery) decodes it afresh.
    const again = decode('1-0', FIELDS);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
  });

  it('keeps entries apart by their ID', () => {
    const decode = createSharedStreamDecoding(2);
    const other = streamFieldsOf({ type: 'message', record: { ...RECORD, seq: 2 } });
    expect(decode('1-0', FIELDS).record).toMatchObject({ seq: 1 });
    expect(decode('2-0', other).record).toMatchObject({ seq: 2 });
    expect(decode('1-0', FIELDS).record).toMatchObject({ seq: 1 });
  });

  it('refuses a poison entry to every reader, so each group dead-letters it', () => {
    const decode = createSharedStreamDecoding(2);
    expect(() => decode('1-0', POISON)).toThrow();
    expect(() => decode('1-0', POISON)).toThrow();
  });

  it('forgets the oldest entries beyond its capacity, which are then decoded again', () => {
    const decode = createSharedStreamDecoding(2, 2);
    const oldest = decode('1-0', FIELDS);
    decode('2-0', FIELDS);
    decode('3-0', FIELDS);
    const reread = decode('1-0', FIELDS);
    expect(reread).toEqual(oldest);
    expect(reread).not.toBe(oldest);
  });

  it('shares frozen records, so no reader can change what another reads', () => {
    const { record } = createSharedStreamDecoding(2)('1-0', FIELDS);
    expect(() => {
      (record as { content: string }).content = 'changed';
    }).toThrow(TypeError);
  });

  it('decodes each time for a single consumer', () => {
    expect(createSharedStreamDecoding(1)).toBe(decodeEachTime);
    expect(decodeEachTime('1-0', FIELDS)).not.toBe(decodeEachTime('1-0', FIELDS));
  });
});
