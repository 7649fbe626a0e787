import { sql, type Kysely } from 'kysely';

// Timestamps keep milliseconds, exactly what a JS Date holds, so keyset cursors round-trip losslessly.

// Frozen in time: the ID patterns are copied from src/ids/id-formats.ts as they were on this date.
const THREAD_ID = String.raw`thread_[a-z][a-z0-9-]{0,31}_[0-9]{13}_[0-9]{1,15}_[0-9a-f]{8}`;
const RUN_SUFFIX = String.raw`_run_[0-9]{13}_[0-9a-f]{8}`;
const MESSAGE_ID = String.raw`msg_[0-9]{13}_[0-9]{1,15}_[0-9a-f]{8}`;

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('threads')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql.raw(`id ~ '^${THREAD_ID}$'`)))
    .addColumn('owner_id', 'text', (c) => c.notNull().check(sql`length(owner_id) between 1 and 200`))
    .addColumn('title', 'text', (c) => c.check(sql`length(title) <= 200`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('ACTIVE').check(sql`status in ('ACTIVE', 'ARCHIVED')`))
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`).check(sql`jsonb_typeof(metadata) = 'object'`))
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0).check(sql`last_seq >= 0`))
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Serves "my threads, newest activity first", filtered by status, with keyset pagination.
  await db.schema
    .createIndex('threads_owner_activity_idx')
    .on('threads')
    .columns(['owner_id', 'status', 'updated_at desc', 'id desc'])
    .execute();
  await sql`create index threads_metadata_gin_idx on threads using gin (metadata jsonb_path_ops)`.execute(db);

  await db.schema
    .createTable('runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('thread_id', 'text', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('QUEUED')
        .check(sql`status in ('QUEUED', 'IN_PROGRESS', 'REQUIRES_ACTION', 'COMPLETED', 'FAILED', 'CANCELLED')`),
    )
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`).check(sql`jsonb_typeof(metadata) = 'object'`))
    .addColumn('error', 'text')
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', sql`timestamptz(3)`)
    .addColumn('completed_at', sql`timestamptz(3)`)
    .addColumn('updated_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    // A run ID embeds its thread ID: the row's thread_id must be exactly that prefix.
    .addCheckConstraint('runs_id_format', sql.raw(`id ~ '^${THREAD_ID}${RUN_SUFFIX}$'`))
    .addCheckConstraint(
      'runs_id_embeds_thread_id',
      sql.raw(`left(id, length(thread_id)) = thread_id and substr(id, length(thread_id) + 1) ~ '^${RUN_SUFFIX}$'`),
    )
    .execute();
  await db.schema.createIndex('runs_thread_created_idx').on('runs').columns(['thread_id', 'created_at desc', 'id desc']).execute();
  await sql`create index runs_metadata_gin_idx on runs using gin (metadata jsonb_path_ops)`.execute(db);

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql.raw(`id ~ '^${MESSAGE_ID}$'`)))
    .addColumn('thread_id', 'text', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    .addColumn('run_id', 'text', (c) => c.references('runs.id').onDelete('set null'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('USER', 'ASSISTANT', 'SYSTEM', 'TOOL')`))
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`).check(sql`jsonb_typeof(metadata) = 'object'`))
    .addColumn('seq', 'integer', (c) => c.notNull().check(sql`seq > 0`))
    .addColumn('client_message_id', 'text', (c) => c.check(sql`length(client_message_id) between 1 and 200`))
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('messages_thread_seq_key', ['thread_id', 'seq'])
    .addCheckConstraint('messages_run_in_thread', sql`run_id is null or left(run_id, length(thread_id) + 5) = thread_id || '_run_'`)
    .execute();
  await sql`create unique index messages_thread_client_id_key on messages (thread_id, client_message_id) where client_message_id is not null`.execute(db);
  await db.schema.createIndex('messages_run_seq_idx').on('messages').columns(['run_id', 'seq']).where(sql.ref('run_id'), 'is not', null).execute();
  await sql`create index messages_metadata_gin_idx on messages using gin (metadata jsonb_path_ops)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('messages').execute();
  await db.schema.dropTable('runs').execute();
  await db.schema.dropTable('threads').execute();
}
