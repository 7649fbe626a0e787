import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/domain/message.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import type { WindowSlice } from '../../src/storage/hot-tier.js';
import { readMessagePages } from '../../src/storage/message-reads.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

// A page that needs both tiers merges Postgres's rows with the thread's Redis window. For a seq
// both hold, the newer version wins: usually Postgres's (an edit commits there first), but a
// streamed message completed in Redis is newer than the IN_PROGRESS row the persister has not
// yet replaced. Built by hand so the persister's timing plays no part.
describe('message pages merged from Postgres and the Redis window', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.stop());

  /** Seq 1 only in Postgres; seq 2 in Postgres as `row` and in the window as `windowed`. */
  async function pageOf(row: { status: 'IN_PROGRESS' | 'COMPLETED'; revision: number; content: string }, windowed: Partial<Message>) {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const [, second] = await seed(app.db).messages(thread.id, ['question', 'answer'], 'ASSISTANT');
    await app.db.updateTable('messages').set(row).where('id', '=', second!.id).execute();
    const slice: WindowSlice = {
      ownerId: user,
      firstSeq: 2,
      lastSeq: 2,
      messages: [{ ...second!, ...windowed, durability: 'HOT' }],
      watermarks: { persisted: 1, archived: 0 },
    };
    const pages = await readMessagePages(app.db, new Map([[thread.id as ThreadId, slice]]), [thread.id as ThreadId], { limit: 10, backwards: false });
    return (pages.get(thread.id) ?? []).map((message) => [message.seq, message.status, message.revision, message.content]);
  }

  it('a completion acked from Redis wins over the row Postgres still has IN_PROGRESS', async () => {
    expect(await pageOf({ status: 'IN_PROGRESS', revision: 1, content: 'half an ans' }, { status: 'COMPLETED', revision: 1, content: 'half an answer' })).toEqual([
      [1, 'COMPLETED', 1, 'question'],
      [2, 'COMPLETED', 1, 'half an answer'],
    ]);
  });

  it('otherwise Postgres wins: an edit committed there before the outbox brought it to the window', async () => {
    expect(await pageOf({ status: 'COMPLETED', revision: 2, content: 'edited' }, { status: 'COMPLETED', revision: 1, content: 'answer' })).toEqual([
      [1, 'COMPLETED', 1, 'question'],
      [2, 'COMPLETED', 2, 'edited'],
    ]);
  });
});
