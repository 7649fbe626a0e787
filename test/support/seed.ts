import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';
import type { MessageRole } from '../../src/domain/message.js';
import type { Thread } from '../../src/domain/thread.js';
import { ids } from '../../src/ids/generate-ids.js';
import type { ThreadId } from '../../src/ids/id-types.js';
import { insertMessageWithNextSeq } from '../../src/repositories/messages-repository.js';
import { insertRun } from '../../src/repositories/runs-repository.js';
import { insertThread } from '../../src/repositories/threads-repository.js';

/**
 * Builds test data through the real repositories, in one transaction per call, so seeded rows
 * obey every constraint the server's own writes do.
 */
export function seed(db: Kysely<Database>) {
  return {
    thread(ownerId: string, fields: { title?: string | null; metadata?: Record<string, unknown> } = {}): Promise<Thread> {
      return db.transaction().execute((trx) =>
        insertThread(trx, { id: ids.threadId('test'), ownerId, title: fields.title ?? null, metadata: fields.metadata ?? {} }),
      );
    },
    messages(threadId: ThreadId, contents: string[], role: MessageRole = 'USER') {
      return db.transaction().execute(async (trx) => {
        const inserted = [];
        for (const content of contents) {
          inserted.push(
            await insertMessageWithNextSeq(trx, { id: ids.messageId(), threadId, runId: null, role, content, metadata: {}, clientMessageId: null , parts: null, actor: null}),
          );
        }
        return inserted;
      });
    },
    run(threadId: ThreadId, metadata: Record<string, unknown> = {}) {
      return db.transaction().execute((trx) => insertRun(trx, { id: ids.runId(threadId), threadId, metadata, actor: null }));
    },
  };
}
