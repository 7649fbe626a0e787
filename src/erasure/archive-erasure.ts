import { z } from 'zod';
import type { ArchiveClient } from '../archive/clickhouse-client.js';
import type { ThreadId } from '../ids/id-types.js';

/** Every archive table that keeps rows per thread: any with a thread_id column, so a table added later is covered too. */
const LIST_THREAD_TABLES = `/* listArchiveTablesWithThreadId */
  SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'thread_id' ORDER BY table`;

/**
 * Deletes every archived row of the threads: one mutation per table for all of them, waited for
 * (mutations_sync = 2): when it returns, the rows are gone from every part, not merely hidden.
 * Identifiers cannot be query parameters; the table names come from system.columns, not a user.
 */
export async function deleteThreadsFromArchive(archive: ArchiveClient, threadIds: readonly ThreadId[]): Promise<void> {
  if (threadIds.length === 0) return;
  const tables = await archive.query('listArchiveTablesWithThreadId', LIST_THREAD_TABLES, {}, z.object({ table: z.string().regex(/^\w+$/) }));
  for (const { table } of tables) {
    await archive.command(
      'deleteArchivedThreads',
      `/* deleteArchivedThreads */ ALTER TABLE ${table} DELETE WHERE has({threadIds:Array(String)}, thread_id) SETTINGS mutations_sync = 2`,
      { threadIds },
    );
  }
}
