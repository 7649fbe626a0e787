import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';

/**
 * Every row belonging to one owner (threads, and the runs and messages inside them), in a
 * stable order. Taken before and after a refused request, equality proves nothing changed.
 */
export async function ownerRows(db: Kysely<Database>, ownerId: string) {
  const threads = await db.selectFrom('threads').selectAll().where('owner_id', '=', ownerId).orderBy('id').execute();
  const runs = await db
    .selectFrom('runs')
    .innerJoin('threads', 'threads.id', 'runs.thread_id')
    .selectAll('runs')
    .where('threads.owner_id', '=', ownerId)
    .orderBy('runs.id')
    .execute();
  const messages = await db
    .selectFrom('messages')
    .innerJoin('threads', 'threads.id', 'messages.thread_id')
    .selectAll('messages')
    .where('threads.owner_id', '=', ownerId)
    .orderBy('messages.id')
    .execute();
  return { threads, runs, messages };
}
