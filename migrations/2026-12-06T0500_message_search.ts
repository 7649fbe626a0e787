import { sql, type Kysely } from 'kysely';

/**
 * Full-text search over message content (searchMessages). An expression index: the query must
 * use the same `to_tsvector('simple', content)` to be served by it. The `simple` configuration
 * lower-cases and splits words without stemming or stop words, the same for every language a
 * chat may be in.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index messages_content_search_idx on messages using gin (to_tsvector('simple', content))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index messages_content_search_idx`.execute(db);
}
