// The floor's SQL: each page of the bench in ONE statement, shaped the way PostGraphile and
// Hasura compile a GraphQL query (a LATERAL join per nested connection, json_agg and
// json_build_object building the answer in Postgres). The JSON comes out with the field names
// and order of the GraphQL selection and Threadline's cursors, so the floor's resolvers only hand it over.

/** An ISO-8601 UTC timestamp with milliseconds, as graphql-scalars' DateTime prints a Date. */
function isoTimestamp(column: string): string {
  return `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** Unpadded base64url of `text`, as Threadline's cursors are (Postgres's base64 also breaks lines: dropped). */
function base64url(text: string): string {
  return `rtrim(translate(encode(convert_to(${text}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')`;
}

/** Threadline's cursor of a row kept in time order: base64url of `t:<epoch ms>:<id>`. */
function timeCursor(timeColumn: string, idColumn: string): string {
  return base64url(`'t:' || (extract(epoch from ${timeColumn}) * 1000)::bigint || ':' || ${idColumn}`);
}

/** Threadline's cursor of a message: base64url of `seq:<seq>`. */
function seqCursor(seqColumn: string): string {
  return base64url(`'seq:' || ${seqColumn}`);
}

/** The newest `limitParam` messages of thread `threadColumn`, as a Relay connection, oldest first. */
function lastMessagesConnection(threadColumn: string, limitParam: string): string {
  return `
    select json_build_object(
      'edges', coalesce(json_agg(json_build_object(
        'cursor', m.cursor,
        'node', json_build_object(
          'id', m.id, 'seq', m.seq, 'role', m.role, 'content', m.content, 'createdAt', ${isoTimestamp('m.created_at')},
          'runId', m.run_id, 'status', m.status, 'durability', 'DURABLE', 'metadata', m.metadata)
      ) order by m.seq), '[]'::json),
      'pageInfo', json_build_object(
        'hasPreviousPage', coalesce(min(m.seq) > 1, false),
        'startCursor', (array_agg(m.cursor order by m.seq))[1])
    ) as connection
    from (
      select message.*, ${seqCursor('message.seq')} as cursor
      from messages message
      where message.thread_id = ${threadColumn}
      order by message.seq desc
      limit ${limitParam}
    ) m`;
}

/** The newest `limitParam` runs of thread `threadColumn`, newest first. */
function firstRunsConnection(threadColumn: string, limitParam: string): string {
  return `
    select json_build_object(
      'edges', coalesce(json_agg(json_build_object(
        'cursor', r.cursor,
        'node', json_build_object(
          'id', r.id, 'status', r.status, 'createdAt', ${isoTimestamp('r.created_at')},
          'startedAt', ${isoTimestamp('r.started_at')}, 'completedAt', ${isoTimestamp('r.completed_at')})
      ) order by r.created_at desc, r.id desc), '[]'::json)
    ) as connection
    from (
      select run.*, ${timeCursor('run.created_at', 'run.id')} as cursor
      from runs run
      where run.thread_id = ${threadColumn}
      order by run.created_at desc, run.id desc
      limit ${limitParam}
    ) r`;
}

/**
 * `threads(first: $2) { edges { cursor node { … messages(last: $3) … runs(first: $4) … } } pageInfo }`
 * of owner $1, newest activity first (Threadline's order). One row, column `connection`.
 */
export const THREADS_PAGE_SQL = `-- floorThreadsPage
with page as (
  select thread.*, ${timeCursor('thread.updated_at', 'thread.id')} as cursor,
         row_number() over (order by thread.updated_at desc, thread.id desc) as position
  from threads thread
  where thread.owner_id = $1
  order by thread.updated_at desc, thread.id desc
  limit $2::int + 1
)
select json_build_object(
  'edges', coalesce(json_agg(json_build_object(
    'cursor', t.cursor,
    'node', json_build_object(
      'id', t.id, 'title', t.title, 'status', t.status,
      'createdAt', ${isoTimestamp('t.created_at')}, 'updatedAt', ${isoTimestamp('t.updated_at')},
      'messageCount', t.last_seq, 'messages', messages.connection, 'runs', runs.connection)
  ) order by t.position) filter (where t.position <= $2), '[]'::json),
  'pageInfo', json_build_object(
    'hasNextPage', count(*) > $2,
    'endCursor', (array_agg(t.cursor order by t.position desc) filter (where t.position <= $2))[1])
) as connection
from page t
cross join lateral (${lastMessagesConnection('t.id', '$3')}) messages
cross join lateral (${firstRunsConnection('t.id', '$4')}) runs`;

/** `thread(id: $2) { id title messages(last: $3) { … } }` if owner $1 owns it; no row otherwise. */
export const THREAD_PAGE_SQL = `-- floorThreadPage
select json_build_object('id', t.id, 'title', t.title, 'messages', messages.connection) as thread
from threads t
cross join lateral (${lastMessagesConnection('t.id', '$3')}) messages
where t.id = $2 and t.owner_id = $1`;
