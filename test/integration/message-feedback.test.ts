import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { Message } from '../../src/domain/message.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { SEND_MESSAGE } from '../support/stored-messages.js';
import { startTestPersister } from '../support/test-persister.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { redisUrlOf } from '../support/redis-databases.js';

const RATE = 'mutation($input: RateMessageInput!) { rateMessage(input: $input) { id feedback { score comment ratedAt } } }';
const READ = 'query($id: ID!) { message(id: $id) { id feedback { score comment ratedAt } } }';
const FEEDBACK = 'query($from: DateTime!, $to: DateTime!) { analytics(from: $from, to: $to) { feedback { day positive negative } } }';
const DAY_MS = 86_400_000;
// The fast-path case runs without a persister, on a Redis database of this file's own (support/redis-databases.ts), so
// a sent message stays in Redis until the test starts one.

describe('message feedback: rateMessage and Message.feedback', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  const rate = (user: string, id: string, score: unknown, comment?: unknown) => app.gql(user, RATE, { input: { id, score, comment } });
  const feedbackRow = (messageId: string) =>
    app.db.selectFrom('message_feedback').select(['thread_id', 'score', 'comment']).where('message_id', '=', messageId).executeTakeFirst();
  async function newMessage(user = newUserId(), contents = ['hello']) {
    const thread = await seed(app.db).thread(user);
    const messages = (await seed(app.db).messages(thread.id, contents, 'ASSISTANT')) as Message[];
    return { user, threadId: thread.id, messages, messageId: messages[0]!.id };
  }

  it('is null until rated; a rating shows on the message and is stored in Postgres', async () => {
    const { user, threadId, messageId } = await newMessage();
    expect(expectData(await app.gql(user, READ, { id: messageId })).message.feedback).toBeNull();

    const rated = expectData(await rate(user, messageId, 1, 'spot on')).rateMessage;
    expect(rated).toMatchObject({ id: messageId, feedback: { score: 1, comment: 'spot on' } });
    expect(Number.isNaN(Date.parse(rated.feedback.ratedAt))).toBe(false);
    expect(await feedbackRow(messageId)).toEqual({ thread_id: threadId, score: 1, comment: 'spot on' });
    expect(expectData(await app.gql(user, READ, { id: messageId })).message).toEqual(rated);
  });

  it('re-rating replaces the score and the comment; an omitted or empty comment is none', async () => {
    const { user, messageId } = await newMessage();
    expectData(await rate(user, messageId, 1, 'good'));
    expect(expectData(await rate(user, messageId, -1)).rateMessage.feedback).toMatchObject({ score: -1, comment: null });
    expect(await feedbackRow(messageId)).toMatchObject({ score: -1, comment: null });
    expect(expectData(await rate(user, messageId, 1, '')).rateMessage.feedback).toMatchObject({ score: 1, comment: null });
    const rows = await app.db.selectFrom('message_feedback').select('score').where('message_id', '=', messageId).execute();
    expect(rows).toEqual([{ score: 1 }]);
  });

  it('concurrent ratings of one message end as one of them, whole', async () => {
    const { user, messageId } = await newMessage();
    const ratings = Array.from({ length: 10 }, (_, n) => ({ score: n % 2 === 0 ? 1 : -1, comment: `rating ${n}` }));
    const responses = await Promise.all(ratings.map(({ score, comment }) => rate(user, messageId, score, comment)));
    for (const response of responses) expectData(response);
    const rows = await app.db.selectFrom('message_feedback').select(['score', 'comment']).where('message_id', '=', messageId).execute();
    expect(rows).toHaveLength(1);
    expect(ratings).toContainEqual(rows[0]);
  });

  it.each<[string, unknown, unknown]>([
    ['a score of 0', 0, undefined],
    ['a score of 2', 2, undefined],
    ['a score of -2', -2, undefined],
    ['a comment over 2,000 characters', 1, 'c'.repeat(2_001)],
  ])('refuses %s with BAD_USER_INPUT and changes nothing', async (_label, score, comment) => {
    const { user, messageId } = await newMessage();
    expectData(await rate(user, messageId, -1, 'kept'));
    const response = await rate(user, messageId, score, comment);
    expectError(response, 'BAD_USER_INPUT');
    expect(response.data).toBeNull();
    expect(await feedbackRow(messageId)).toMatchObject({ score: -1, comment: 'kept' });
  });

  it('deleteMessage drops the rating (its comment may quote the message), and a tombstone takes none', async () => {
    const { user, messageId } = await newMessage();
    expectData(await rate(user, messageId, -1, 'it said something I regret'));
    const tombstone = expectData(await app.gql(user, 'mutation($id: ID!) { deleteMessage(id: $id) { content feedback { score } } }', { id: messageId })).deleteMessage;
    expect(tombstone).toEqual({ content: '', feedback: null });
    expect(await app.db.selectFrom('message_feedback').selectAll().where('message_id', '=', messageId).execute()).toEqual([]);
    expect(expectError(await rate(user, messageId, 1), 'BAD_USER_INPUT').message).toMatch(/is deleted; a tombstone takes no rating/);
    expect(await app.db.selectFrom('message_feedback').selectAll().where('message_id', '=', messageId).execute()).toEqual([]);
  });

  it('is allowed in an archived thread: a rating is not content', async () => {
    const { user, threadId, messageId } = await newMessage();
    await app.db.updateTable('threads').set({ status: 'ARCHIVED' }).where('id', '=', threadId).execute();
    expect(expectData(await rate(user, messageId, -1)).rateMessage.feedback).toMatchObject({ score: -1 });
    expect(await feedbackRow(messageId)).toMatchObject({ score: -1 });
  });

  it("is NOT_FOUND for another user's message and changes nothing", async () => {
    const { user, messageId } = await newMessage();
    expectData(await rate(user, messageId, 1, 'mine'));
    expectError(await rate(newUserId('intruder'), messageId, -1, 'hijacked'), 'NOT_FOUND');
    expect(await feedbackRow(messageId)).toMatchObject({ score: 1, comment: 'mine' });
    const { messageId: unrated } = await newMessage();
    expectError(await rate(newUserId('intruder'), unrated, -1), 'NOT_FOUND');
    expect(await feedbackRow(unrated)).toBeUndefined();
  });

  it("is archived, and Analytics.feedback counts each message once, at its latest rating, for the viewer only", async () => {
    const { user, messages } = await newMessage(newUserId(), ['a', 'b', 'c', 'd']);
    const [a, b, c, d] = messages.map((message) => message.id as string) as [string, string, string, string];
    expectData(await rate(user, a, 1));
    expectData(await rate(user, b, 1));
    expectData(await rate(user, b, -1, 'changed my mind'));
    expectData(await rate(user, c, -1));
    expectData(await rate(user, c, 1));
    expectData(await rate(user, c, 1));
    expectData(await rate(user, d, -1));
    const other = await newMessage();
    expectData(await rate(other.user, other.messageId, 1));

    const now = Date.now();
    const range = { from: new Date(now - DAY_MS).toISOString(), to: new Date(now + DAY_MS).toISOString() };
    const feedbackOf = async (viewer: string) => expectData(await app.gql(viewer, FEEDBACK, range)).analytics.feedback;
    // The day the last rating was given (within moments of the others).
    const ratedAt = await app.db.selectFrom('message_feedback').select('rated_at').where('message_id', '=', d).executeTakeFirstOrThrow();
    const day = ratedAt.rated_at.toISOString().slice(0, 10);
    await vi.waitFor(async () => expect(await feedbackOf(user)).toEqual([{ day, positive: 2, negative: 2 }]), { timeout: 15_000, interval: 100 });
    expect(await feedbackOf(other.user)).toEqual([{ day, positive: 1, negative: 0 }]);
    expect(await feedbackOf(newUserId())).toEqual([]);

    // The archive keeps every rating (seven of this user's), scores only: no comment.
    const archived = await app.tiers.archive.client.query(
      'testArchivedFeedback',
      'SELECT count() AS n, countIf(has_comment = 1) AS commented FROM message_feedback FINAL WHERE owner_id = {owner:String}',
      { owner: user },
      z.object({ n: z.coerce.number(), commented: z.coerce.number() }),
    );
    expect(archived).toEqual([{ n: 7, commented: 1 }]);
  });

  it('rates a message acked on the fast path before Postgres has it, and the rating still shows once it does', async () => {
    const redisUrl = redisUrlOf('messageFeedback');
    const fast = await startTestApp({ env: { REDIS_URL: redisUrl, RUN_WORKERS_IN_PROCESS: 'false' } });
    try {
      const user = newUserId();
      const thread = await seed(fast.db).thread(user);
      const sent = expectData(await fast.gql(user, SEND_MESSAGE, { input: { threadId: thread.id, content: 'fresh' } })).sendMessage;
      expect(sent.durability).toBe('HOT');
      const inPostgres = () => fast.db.selectFrom('messages').select('id').where('id', '=', sent.id).execute();
      expect(await inPostgres()).toEqual([]);

      expect(expectData(await fast.gql(user, RATE, { input: { id: sent.id, score: 1, comment: 'quick' } })).rateMessage.feedback).toMatchObject({
        score: 1,
        comment: 'quick',
      });
      expect(await feedbackRow(sent.id)).toEqual({ thread_id: thread.id, score: 1, comment: 'quick' });
      expectError(await fast.gql(newUserId('intruder'), RATE, { input: { id: sent.id, score: -1 } }), 'NOT_FOUND');

      const persister = await startTestPersister(redisUrl, fast.db, 'feedback-persister');
      try {
        await vi.waitFor(async () => expect(await inPostgres()).toHaveLength(1), { timeout: 15_000, interval: 50 });
      } finally {
        await persister.stop();
      }
      expect(expectData(await fast.gql(user, READ, { id: sent.id })).message.feedback).toMatchObject({ score: 1, comment: 'quick' });
    } finally {
      await fast.stop();
    }
  });
});
