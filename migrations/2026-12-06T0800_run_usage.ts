import { sql, type Kysely } from 'kysely';

/**
 * What a run cost, as its agent reports it with a status transition: the model and the tokens
 * used. Nullable, so existing runs read as "never reported". The token counts are reported
 * together, so they are null together; the limits restate the API's (frozen here, not imported):
 * a model of at most 200 characters, counts from 0 to a billion.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('runs')
    .addColumn('model', 'text', (c) => c.check(sql`length(model) between 1 and 200`))
    .addColumn('input_tokens', 'integer', (c) => c.check(sql`input_tokens between 0 and 1000000000`))
    .addColumn('output_tokens', 'integer', (c) => c.check(sql`output_tokens between 0 and 1000000000`))
    .execute();
  await sql`alter table runs add constraint runs_usage_together_check
    check ((input_tokens is null) = (output_tokens is null))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').dropColumn('model').dropColumn('input_tokens').dropColumn('output_tokens').execute();
}
