import type { Logger } from 'pino';
import { z } from 'zod';
import type { ArchiveClient } from './clickhouse-client.js';

/**
 * ClickHouse's own migrations, applied in name order at start-up and recorded in
 * `threadline_migrations`. Frozen in time: plain SQL as it was on the date in the name, no app
 * imports; change a table with a new entry, never by editing an applied one.
 *
 * ClickHouse has neither transactions nor locks for DDL, so every statement must be safe to run
 * twice (IF NOT EXISTS, ADD COLUMN IF NOT EXISTS…): two instances starting together may both apply
 * a migration, and one that failed half-way is simply run again.
 */
export interface ArchiveMigration {
  name: string;
  statements: readonly string[];
}

export const ARCHIVE_MIGRATIONS: readonly ArchiveMigration[] = [
  {
    // One row per archived message. The stream is at-least-once, so the same message may be
    // inserted more than once, and a streamed message arrives twice on purpose (IN_PROGRESS, then
    // COMPLETED). ReplacingMergeTree collapses rows with an equal sorting key (every column of it
    // immutable for a message) and keeps the highest status_rank: the completed form wins
    // whatever the order of arrival. Merges happen whenever ClickHouse likes: queries must count
    // distinct message IDs, or read FINAL / argMax(…, status_rank) for a column that changes.
    name: '2026-11-22T0200_messages_archive',
    statements: [
      `CREATE TABLE IF NOT EXISTS messages_archive (
        message_id String,
        thread_id String,
        owner_id String,
        run_id Nullable(String),
        role LowCardinality(String),
        status LowCardinality(String),
        seq UInt64,
        content_bytes UInt32,
        created_at DateTime64(3, 'UTC'),
        archived_at DateTime64(3, 'UTC') DEFAULT now64(3),
        status_rank UInt8 MATERIALIZED status = 'COMPLETED'
      )
      ENGINE = ReplacingMergeTree(status_rank)
      PARTITION BY toYYYYMM(created_at)
      ORDER BY (owner_id, created_at, message_id)`,
    ],
  },
  {
    // One row per run status transition, with the run as it was after it. Partitioned by the
    // run's creation so all of a run's transitions share a partition (ReplacingMergeTree only
    // collapses within one) and a range query on created_at prunes partitions.
    name: '2026-11-22T0201_run_transitions',
    statements: [
      `CREATE TABLE IF NOT EXISTS run_transitions (
        run_id String,
        thread_id String,
        owner_id String,
        status LowCardinality(String),
        error Nullable(String),
        created_at DateTime64(3, 'UTC'),
        started_at Nullable(DateTime64(3, 'UTC')),
        completed_at Nullable(DateTime64(3, 'UTC')),
        at DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(created_at)
      ORDER BY (owner_id, created_at, run_id, at, status)`,
    ],
  },
  {
    // Who wrote a message or started a run on its owner's behalf (a delegated token's act.sub):
    // analytics can tell an agent worker's writes from the user's own. Null for older rows.
    name: '2026-12-06T0000_actors',
    statements: [
      `ALTER TABLE messages_archive ADD COLUMN IF NOT EXISTS actor Nullable(String)`,
      `ALTER TABLE run_transitions ADD COLUMN IF NOT EXISTS actor Nullable(String)`,
    ],
  },
  {
    // Structured messages: the kind of each part, in order, and the tools a message calls, so
    // analytics can count tool use. Older rows read as one text part and no tools.
    name: '2026-12-06T0100_message_parts',
    statements: [
      `ALTER TABLE messages_archive ADD COLUMN IF NOT EXISTS part_types Array(LowCardinality(String)) DEFAULT ['text']`,
      `ALTER TABLE messages_archive ADD COLUMN IF NOT EXISTS tool_names Array(String)`,
    ],
  },
  {
    // What a run cost, as its agent reported it: the model and the tokens used, as they stood
    // after this transition (both counts null until the agent reports any). A run has several
    // rows, so analytics takes each run's latest one. Null for older rows.
    name: '2026-12-06T0800_run_usage',
    statements: [
      `ALTER TABLE run_transitions ADD COLUMN IF NOT EXISTS model Nullable(String)`,
      `ALTER TABLE run_transitions ADD COLUMN IF NOT EXISTS input_tokens Nullable(UInt32)`,
      `ALTER TABLE run_transitions ADD COLUMN IF NOT EXISTS output_tokens Nullable(UInt32)`,
    ],
  },
  {
    // One row per rating of a message (rateMessage); re-rating adds a row, and the latest per
    // message is its rating: analytics reads argMax(…, rated_at) per message_id. Redelivered
    // rows are equal in every sorting column and collapse. The score, not the comment.
    name: '2026-12-06T0810_message_feedback',
    statements: [
      `CREATE TABLE IF NOT EXISTS message_feedback (
        message_id String,
        thread_id String,
        owner_id String,
        score Int8,
        has_comment UInt8,
        rated_at DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (owner_id, message_id, rated_at)`,
    ],
  },
  {
    // Edits and deletions (editMessage, deleteMessage): a message's row is archived again at each
    // revision, and a deleted one as a tombstone (deleted = 1, content_bytes 0, no parts: the
    // archive keeps shape, and a deleted message keeps none). The version ReplacingMergeTree keeps
    // becomes revision, then completion: the newest revision wins whatever the order of arrival
    // (a redelivered original never resurrects an edited or deleted message), and within a
    // revision the completed form still beats the streaming one. Rows archived before this keep
    // their stored rank (0 or 1), below every row archived after it.
    name: '2026-12-06T0900_message_revisions',
    statements: [
      `ALTER TABLE messages_archive ADD COLUMN IF NOT EXISTS revision UInt32 DEFAULT 1`,
      `ALTER TABLE messages_archive ADD COLUMN IF NOT EXISTS deleted UInt8 DEFAULT 0`,
      `ALTER TABLE messages_archive MODIFY COLUMN IF EXISTS status_rank UInt32 MATERIALIZED revision * 2 + (status = 'COMPLETED')`,
    ],
  },
];

const CREATE_VERSION_TABLE = `
  CREATE TABLE IF NOT EXISTS threadline_migrations (
    name String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
  )
  ENGINE = ReplacingMergeTree
  ORDER BY name`;

const LIST_APPLIED = `/* listAppliedArchiveMigrations */ SELECT DISTINCT name FROM threadline_migrations`;

/** Applies every migration not yet recorded, in order; returns the names it applied. */
export async function migrateArchive(
  client: ArchiveClient,
  log: Logger,
  migrations: readonly ArchiveMigration[] = ARCHIVE_MIGRATIONS,
): Promise<string[]> {
  await client.command('createArchiveVersionTable', CREATE_VERSION_TABLE);
  const rows = await client.query('listAppliedArchiveMigrations', LIST_APPLIED, {}, z.object({ name: z.string() }));
  const applied = new Set(rows.map((row) => row.name));
  const known = new Set(migrations.map((migration) => migration.name));
  const unknown = [...applied].filter((name) => !known.has(name));
  // A newer release migrated this archive; running older code against it is allowed but worth a word.
  if (unknown.length) log.warn({ unknown }, 'ClickHouse archive has migrations this version does not know');
  const pending = pendingMigrations(migrations, applied);
  for (const migration of pending) {
    for (const statement of migration.statements) await client.command(`migrate:${migration.name}`, statement);
    await client.insert('recordArchiveMigration', 'threadline_migrations', [{ name: migration.name }]);
    log.info({ migration: migration.name }, 'ClickHouse archive migrated');
  }
  return pending.map((migration) => migration.name);
}

/** Migrations not applied yet, in name order; refuses a list whose names are not unique. */
export function pendingMigrations(migrations: readonly ArchiveMigration[], applied: ReadonlySet<string>): ArchiveMigration[] {
  const names = migrations.map((migration) => migration.name);
  if (new Set(names).size !== names.length) throw new Error('Duplicate ClickHouse migration names');
  return [...migrations].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).filter((migration) => !applied.has(migration.name));
}
