import { describe, expect, it } from 'vitest';
import { messageOfRecord, messageRecordOf, messageRecordValues, MessageRecordModel, type MessageRecord } from '../../../src/storage/message-record.js';
import { parseStreamFields, streamFieldsOf } from '../../../src/storage/stream-records.js';

const THREAD = 'thread_test_1757372478799_1_584ef8a5';
/** A record as code older than edits queued it: no revision, editedAt or deletedAt. */
const OLDER = {
  id: 'msg_1757372479002_1_0b1c2d3e', threadId: THREAD, ownerId: 'user-1', runId: null, role: 'USER', content: 'hi',
  parts: null, metadata: {}, seq: 1, clientMessageId: null, createdAt: '2026-12-06T09:00:00.000Z', status: 'COMPLETED', actor: null,
};

describe('the message record of an edit or a deletion', () => {
  it('reads a record from before edits as a first version, never edited nor deleted, with or without the model', () => {
    expect(MessageRecordModel.parse(OLDER)).toMatchObject({ revision: 1, editedAt: null, deletedAt: null });
    expect(messageOfRecord(OLDER as unknown as MessageRecord)).toMatchObject({ revision: 1, editedAt: null, deletedAt: null });
  });

  it('round-trips a tombstone through the record and the stream, times as Dates', () => {
    const tombstone = {
      ...messageOfRecord(MessageRecordModel.parse(OLDER)),
      content: '', parts: [], revision: 3, editedAt: new Date('2026-12-06T09:01:00.000Z'), deletedAt: new Date('2026-12-06T09:02:00.000Z'),
    };
    const record = messageRecordOf(tombstone, 'user-1');
    expect(record).toMatchObject({ revision: 3, editedAt: '2026-12-06T09:01:00.000Z', deletedAt: '2026-12-06T09:02:00.000Z', parts: [] });
    expect(parseStreamFields(streamFieldsOf({ type: 'messageDeleted', record }))).toEqual({ type: 'messageDeleted', record });
    expect(messageOfRecord(record)).toEqual(tombstone);
  });

  it('gives SQL reading a record without a revision revision 1', () => {
    expect(messageRecordValues('r')).toContain('coalesce(r."revision", 1)');
    expect(messageRecordValues('r')).toContain('r."deletedAt"');
  });
});
