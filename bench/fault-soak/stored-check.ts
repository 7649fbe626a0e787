import pg from 'pg';
import { groupBy } from '../../src/repositories/group-by.js';
import { soakContent, type SoakAck } from './load-protocol.js';

interface StoredRow {
  id: string;
  thread_id: string;
  seq: number;
  client_message_id: string | null;
  content: string;
}

export interface StoredCheck {
  acked: number;
  givenUp: number;
  inPostgres: number;
  /** Acked messages with no row (by clientMessageId). */
  missing: string[];
  /** clientMessageIds or message IDs held by more than one row. */
  duplicated: string[];
  /** Rows for a clientMessageId stored under another message ID than the one acked. */
  otherId: string[];
  /** Rows whose content is not what was sent. */
  wrongContent: string[];
  /** Rows no client sent. */
  unexpected: string[];
  /** Threads whose seqs are not 1..N, or whose last_seq is not N. */
  threadsWithGaps: string[];
  /** Acks stored at another seq than acked (allowed for HOT acks made before an outage, see README). */
  movedSeqs: { hot: number; durable: number };
  ok: boolean;
}

/** Rows of `threadIds`, and their threads' last_seq, read straight from Postgres. */
async function readStored(databaseUrl: string, threadIds: string[]) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = await client.query<StoredRow>(
      `/* bench.faultSoak.storedMessages */ select id, thread_id, seq, client_message_id, content from messages
       where thread_id = any($1::text[]) order by thread_id, seq`,
      [threadIds],
    );
    const threads = await client.query<{ id: string; last_seq: number }>(
      `/* bench.faultSoak.threadLastSeqs */ select id, last_seq from threads where id = any($1::text[])`,
      [threadIds],
    );
    return { rows: rows.rows, lastSeqs: new Map(threads.rows.map((row) => [row.id, Number(row.last_seq)])) };
  } finally {
    await client.end();
  }
}

/** How many acked messages Postgres holds so far (the persister may still be draining). */
export async function countStoredAcks(databaseUrl: string, threadIds: string[], acks: readonly SoakAck[]): Promise<number> {
  const { rows } = await readStored(databaseUrl, threadIds);
  const stored = new Set(rows.map((row) => row.client_message_id));
  return acks.filter((ack) => stored.has(ack.clientMessageId)).length;
}

/**
 * Acked means kept, once: every acked message is in Postgres exactly once, under the ID and with
 * the content acked; nothing else is there but messages given up unacked (each at most once);
 * every thread's seqs run 1..N with last_seq N.
 */
export async function checkStored(databaseUrl: string, threadIds: string[], acks: readonly SoakAck[], givenUp: readonly string[], contentBytes: number): Promise<StoredCheck> {
  const { rows, lastSeqs } = await readStored(databaseUrl, threadIds);
  const byClientId = groupBy(rows, (row) => row.client_message_id ?? `(none) ${row.id}`);
  const byId = groupBy(rows, (row) => row.id);
  const ackedIds = new Set(acks.map((ack) => ack.clientMessageId));
  const allowed = new Set([...ackedIds, ...givenUp]);
  const check: StoredCheck = {
    acked: acks.length,
    givenUp: givenUp.length,
    inPostgres: rows.length,
    missing: acks.filter((ack) => !byClientId.has(ack.clientMessageId)).map((ack) => ack.clientMessageId),
    duplicated: [...byClientId, ...byId].filter(([, group]) => group.length > 1).map(([key]) => key),
    otherId: acks.filter((ack) => byClientId.get(ack.clientMessageId)?.some((row) => row.id !== ack.id)).map((ack) => ack.clientMessageId),
    wrongContent: rows.filter((row) => row.client_message_id && row.content !== soakContent(row.client_message_id, contentBytes)).map((row) => row.id),
    unexpected: rows.filter((row) => !allowed.has(row.client_message_id ?? '')).map((row) => row.id),
    threadsWithGaps: threadIds.filter((threadId) => !gapFree(rows, threadId, lastSeqs.get(threadId))),
    movedSeqs: { hot: 0, durable: 0 },
    ok: false,
  };
  for (const ack of acks) {
    const row = byClientId.get(ack.clientMessageId)?.[0];
    if (row && row.seq !== ack.seq) check.movedSeqs[ack.durability === 'HOT' ? 'hot' : 'durable']++;
  }
  const problems = [check.missing, check.duplicated, check.otherId, check.wrongContent, check.unexpected, check.threadsWithGaps];
  check.ok = problems.every((list) => list.length === 0) && check.movedSeqs.durable === 0;
  return check;
}

function gapFree(rows: readonly StoredRow[], threadId: string, lastSeq: number | undefined): boolean {
  const seqs = rows.filter((row) => row.thread_id === threadId).map((row) => Number(row.seq));
  return seqs.every((seq, index) => seq === index + 1) && (lastSeq ?? 0) === seqs.length;
}
