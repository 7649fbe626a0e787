import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';
import type { BenchThread, PathName } from './servers.js';

/**
 * After the persister has drained: Postgres must hold every message each path acked, and no
 * more than it was sent (a run ends with requests in flight that the server may still have
 * stored), with gap-free seqs per thread (count = max seq; seqs are unique by constraint).
 */
export async function verifyStoredMessages(
  db: Kysely<Database>,
  threads: Record<PathName, BenchThread[]>,
  acked: Record<PathName, number>,
  sent: Record<PathName, number>,
) {
  const result: Record<string, { acked: number; sent: number; inPostgres: number; threadsWithGaps: number; ok: boolean }> = {};
  for (const path of ['FAST', 'NAIVE'] as const) {
    const ids = threads[path].map((thread) => thread.threadId);
    const { rows } = await sql<{ thread_id: string; count: number; max_seq: number }>`/* bench.verifyStoredMessages */
      select thread_id, count(*)::int as count, max(seq) as max_seq from messages
      where thread_id = any(${ids}::text[]) group by thread_id`.execute(db);
    const inPostgres = rows.reduce((sum, row) => sum + row.count, 0);
    const threadsWithGaps = rows.filter((row) => row.count !== row.max_seq).length;
    const ok = inPostgres >= acked[path] && inPostgres <= sent[path] && threadsWithGaps === 0;
    result[path] = { acked: acked[path], sent: sent[path], inPostgres, threadsWithGaps, ok };
  }
  return result;
}
