import { describe, expect, it } from 'vitest';
import { archivedMessageRow, feedbackRow, runTransitionRow, splitRecords } from '../../../src/archive/archiver.js';
import type { MessageRecord } from '../../../src/storage/message-record.js';
import { parseStreamFields, streamFieldsOf, type FeedbackRecord, type RunRecord } from '../../../src/storage/stream-records.js';

const THREAD = 'thread_session_1757372478799_528_584ef8a5';
const RUN = `${THREAD}_run_1757372479002_9c1d22aa`;

const message: MessageRecord = {
  id: 'msg_1757372479100_1_0123abcd',
  threadId: THREAD,
  ownerId: 'user-1',
  runId: RUN,
  role: 'ASSISTANT',
  content: 'héllo 👋',
  metadata: { a: 1 },
  seq: 3,
  clientMessageId: null,
  parts: null,
  actor: null,
  createdAt: '2026-11-22T04:00:00.123Z',
  status: 'COMPLETED',
  revision: 1,
  editedAt: null,
  deletedAt: null,
};

const run: RunRecord = {
  id: RUN,
  threadId: THREAD,
  ownerId: 'user-1',
  status: 'IN_PROGRESS',
  metadata: { model: 'x' },
  error: null,
  actor: null,
  model: null,
  usage: null,
  createdAt: '2026-11-22T04:00:00.000Z',
  startedAt: '2026-11-22T04:00:01.000Z',
  completedAt: null,
  at: '2026-11-22T04:00:01.000Z',
};

const rating: FeedbackRecord = {
  messageId: 'msg_1757372479100_1_0123abcd',
  threadId: THREAD,
  ownerId: 'user-1',
  score: -1,
  hasComment: true,
  ratedAt: '2026-11-22T04:00:02.000Z',
};

describe('archive rows', () => {
  it('keeps a message’s shape and size in UTF-8 bytes, not its content', () => {
    const row = archivedMessageRow(message, new Date('2026-11-22T05:00:00Z'));
    expect(row).toEqual({
      message_id: message.id,
      thread_id: THREAD,
      owner_id: 'user-1',
      run_id: RUN,
      role: 'ASSISTANT',
      status: 'COMPLETED',
      seq: 3,
      content_bytes: Buffer.byteLength('héllo 👋'),
      created_at: '2026-11-22 04:00:00.123',
      archived_at: '2026-11-22 05:00:00.000',
      part_types: ['text'],
      tool_names: [],
      actor: null,
      revision: 1,
      deleted: 0,
    });
    expect(row.content_bytes).toBe(11);
    expect(JSON.stringify(row)).not.toContain('héllo');
  });

  it('keeps the kinds of a structured message’s parts and the tools it calls, not their content', () => {
    const row = archivedMessageRow(
      {
        ...message,
        content: 'Looking it up.',
        parts: [
          { type: 'reasoning', text: 'secret thoughts' },
          { type: 'text', text: 'Looking it up.' },
          { type: 'toolCall', callId: 'call-1', name: 'weather', arguments: { city: 'Oslo' } },
          { type: 'toolCall', callId: 'call-2', name: 'search', arguments: 'q' },
          { type: 'file', uri: 'https://x.test/a.png', mediaType: 'image/png', name: 'a.png', sizeBytes: 10 },
        ],
      },
      new Date('2026-11-22T05:00:00Z'),
    );
    expect(row.part_types).toEqual(['reasoning', 'text', 'toolCall', 'toolCall', 'file']);
    expect(row.tool_names).toEqual(['weather', 'search']);
    expect(JSON.stringify(row)).not.toMatch(/secret|Oslo|x\.test/);
  });

  it('maps a run transition, keeping absent times null', () => {
    expect(runTransitionRow(run)).toEqual({
      run_id: RUN,
      thread_id: THREAD,
      owner_id: 'user-1',
      status: 'IN_PROGRESS',
      error: null,
      created_at: '2026-11-22 04:00:00.000',
      started_at: '2026-11-22 04:00:01.000',
      completed_at: null,
      at: '2026-11-22 04:00:01.000',
      actor: null,
      model: null,
      input_tokens: null,
      output_tokens: null,
    });
  });

  it('keeps the model and token counts a run reported, which analytics sums', () => {
    const reported = runTransitionRow({ ...run, model: 'gpt-x', usage: { inputTokens: 120, outputTokens: 30 } });
    expect(reported).toMatchObject({ model: 'gpt-x', input_tokens: 120, output_tokens: 30 });
  });

  it('splits a batch into message rows (new or completed) and run rows, keeping stream order', () => {
    const second = { ...message, id: 'msg_1757372479101_2_0123abcd', seq: 4, status: 'IN_PROGRESS' as const };
    const { messages, runs, feedback } = splitRecords([
      { id: '1-0', record: { type: 'message', record: message } },
      { id: '2-0', record: { type: 'run', record: run } },
      { id: '2-1', record: { type: 'feedback', record: rating } },
      { id: '3-0', record: { type: 'message', record: second } },
      { id: '4-0', record: { type: 'messageCompleted', record: { ...second, status: 'COMPLETED' } } },
    ]);
    expect(messages.map((m) => [m.seq, m.status])).toEqual([
      [3, 'COMPLETED'],
      [4, 'IN_PROGRESS'],
      [4, 'COMPLETED'],
    ]);
    expect(runs).toEqual([run]);
    expect(feedback).toEqual([rating]);
  });

  it('keeps a rating’s score and whether it had a comment, and reads it back from the stream', () => {
    expect(feedbackRow(rating)).toEqual({
      message_id: rating.messageId,
      thread_id: THREAD,
      owner_id: 'user-1',
      score: -1,
      has_comment: 1,
      rated_at: '2026-11-22 04:00:02.000',
    });
    expect(parseStreamFields(streamFieldsOf({ type: 'feedback', record: rating }))).toEqual({ type: 'feedback', record: rating });
    expect(() => parseStreamFields(streamFieldsOf({ type: 'feedback', record: { ...rating, score: 0 as -1 } }))).toThrow();
  });
});
