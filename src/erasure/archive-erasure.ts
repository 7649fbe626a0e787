import { z } from 'zod';
import type { ArchiveClient } from '../archive/clickhouse-client.js';
import type { ThreadId } from '../ids/id-types.js';

/** Every archive table that keeps rows per thread: any with a thread_id column, so a table added later is covered too. */
const LIST_THREAD_TABLES = `/* listArchiveTablesWithThreadId */
  SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'thread_id' ORDER BY table`;

/**
 * Deletes every archived row of the thread. A mutation waited for (mutations_sync = 2): when it
 * returns, the rows are gone from every part, not merely hidden, and a count proves it.
 * Identifiers cannot be query parameters; the table names come from system.columns, not a user.
 */
export async function deleteThreadFromArchive(archive: ArchiveClient, threadId: ThreadId): Promise<void> {
  const tables = await archive.query('listArchiveTablesWithThreadId', LIST_THREAD_TABLES, {}, z.object({ table: z.string().regex(/^\w+$/) }));
  for (const { table } of tables) {
    await archive.command(
      'deleteArchivedThread',
      `/* deleteArchivedThread */ ALTER TABLE ${table} DELETE WHERE thread_id = {threadId:String} SETTINGS mutations_sync = 2`,
      { threadId },
    );
  }
}
