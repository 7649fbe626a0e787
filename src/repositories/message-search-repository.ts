import { sql, type Kysely } from 'kysely';
import type { Database, MessageRow } from '../db/database.js';
import type { Message } from '../domain/message.js';
import { messageOfRow } from '../storage/message-record.js';
import type { PageWindow, TimeCursor } from './page-window.js';

export type MessageSearchHit = Message & { snippet: string };

// Plain-text markers, not HTML: a snippet is the message's own text, and a client that put it into
// a page as HTML would run whatever markup the message holds.
const HEADLINE_OPTIONS = 'StartSel=«, StopSel=», MaxWords=24, MinWords=8, MaxFragments=2, FragmentDelimiter=" … "';

/**
 * The owner's messages matching `query` (web-search syntax: words, "phrases", -exclusions, or),
 * newest first, keyset-paginated over (created_at, id), each with a snippet around its matches.
 * The match uses the expression of messages_content_search_idx, so the index finds the rows.
 */
export async function searchMessagesOfOwner(
  db: Kysely<Database>,
  ownerId: string,
  query: string,
  window: PageWindow<TimeCursor>,
): Promise<MessageSearchHit[]> {
  const reading = window.backwards ? sql`asc` : sql`desc`;
  const after = window.after ? sql`and (m.created_at, m.id) < (${window.after.at}, ${window.after.id})` : sql``;
  const before = window.before ? sql`and (m.created_at, m.id) > (${window.before.at}, ${window.before.id})` : sql``;
  const { rows } = await sql<MessageRow & { snippet: string }>`/* messageSearch.searchMessagesOfOwner */
    select m.*, ts_headline('simple', m.content, q.query, ${HEADLINE_OPTIONS}) as snippet
    from messages m
    join threads t on t.id = m.thread_id
    cross join websearch_to_tsquery('simple', ${query}) as q(query)
    where t.owner_id = ${ownerId} and to_tsvector('simple', m.content) @@ q.query ${after} ${before}
    order by m.created_at ${reading}, m.id ${reading}
    limit ${window.limit}`.execute(db);
  return rows.map((row) => ({ ...messageOfRow(row), snippet: row.snippet }));
}

/** Whether a query has any word to look for (`websearch_to_tsquery` of punctuation alone is empty). */
export async function isSearchableQuery(db: Kysely<Database>, query: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select numnode(websearch_to_tsquery('simple', ${query})) > 0 as ok`.execute(db);
  return rows[0]?.ok ?? false;
}
