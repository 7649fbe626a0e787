import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { TokenKeys } from '../context/bearer-token.js';
import type { Database } from '../db/database.js';
import { exportMessageBatch, exportRunBatch, exportThreadBatch } from '../repositories/export-repository.js';
import { findFeedbackByMessageIds } from '../repositories/message-feedback-repository.js';
import { findAllRevisions } from '../repositories/message-revisions-repository.js';
import type { MessageStore } from '../storage/message-store.js';
import { authenticate } from './graphql-handler.js';

/** The export format's version, in its first line; bumped when a line's shape changes incompatibly. */
export const EXPORT_FORMAT = 1;
const THREAD_BATCH = 100;
const ROW_BATCH = 500;
/** Longest the export waits for messages acked just before it to reach Postgres, ms. */
const PERSISTED_WAIT_MS = 2_000;

export interface ExportTargets {
  db: Kysely<Database>;
  tokenKeys: TokenKeys;
  messageStore: MessageStore;
  log: Logger;
}

/**
 * GET /export (Bearer auth): everything of the viewer as NDJSON, one JSON object per line:
 * `{"type":"export",…}`, then each thread followed by its runs and its messages, then
 * `{"type":"end",…}` with the counts (a download without it was cut short). Read in keyset batches
 * inside one repeatable-read transaction, a consistent snapshot, writing as the client reads.
 */
export function handleExportRoute(req: IncomingMessage, res: ServerResponse, targets: ExportTargets): boolean {
  if (req.url?.split('?')[0] !== '/export') return false;
  if (req.method !== 'GET') {
    res.writeHead(405, { allow: 'GET', 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: 'GET /export' } }));
    return true;
  }
  void exportViewer(req, res, targets).catch((error: unknown) => {
    targets.log.error({ err: error }, 'export failed');
    // Headers are gone once the first line is out: ending without the `end` line tells the client.
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'INTERNAL', message: 'Export failed' } }));
    else res.destroy();
  });
  return true;
}

async function exportViewer(req: IncomingMessage, res: ServerResponse, { db, tokenKeys, messageStore }: ExportTargets): Promise<void> {
  const auth = await authenticate(req.headers.authorization, tokenKeys);
  if ('failure' in auth) {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(JSON.stringify({ error: { code: 'UNAUTHENTICATED', message: auth.failure } }));
    return;
  }
  await messageStore.awaitPersisted(PERSISTED_WAIT_MS);
  // A client that goes away ends the export: no more reads, and no wait for a drain that never comes.
  let gone = false;
  const closed = new Promise<void>((resolve) => res.once('close', () => resolve(void (gone = true))));
  res.writeHead(200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-disposition': 'attachment; filename="threadline-export.ndjson"' });
  const write = async (line: object) => {
    if (!gone && !res.write(`${JSON.stringify(line)}\n`)) await Promise.race([once(res, 'drain'), closed]);
  };
  const counts = { threads: 0, runs: 0, messages: 0 };
  await db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    await write({ type: 'export', format: EXPORT_FORMAT, userId: auth.userId, exportedAt: new Date().toISOString() });
    for (let after: string | null = null; !gone; ) {
      const threads = await exportThreadBatch(trx, auth.userId, after, THREAD_BATCH);
      for (const thread of threads) {
        await write({ type: 'thread', ...thread });
        for (let runAfter: string | null = null; !gone; ) {
          const runs = await exportRunBatch(trx, thread.id, runAfter, ROW_BATCH);
          for (const run of runs) await write({ type: 'run', ...run });
          counts.runs += runs.length;
          if (runs.length < ROW_BATCH) break;
          runAfter = runs.at(-1)!.id;
        }
        for (let seq = 0; !gone; ) {
          const messages = await exportMessageBatch(trx, thread.id, seq, ROW_BATCH);
          // Each message with its rating (null when unrated) and its earlier versions: one more query each per batch, not per message.
          const messageIds = messages.map((message) => message.id);
          const [feedback, revisions] = [await findFeedbackByMessageIds(trx, messageIds), await findAllRevisions(trx, messageIds)];
          for (const message of messages) {
            const earlier = (revisions.get(message.id) ?? []).map(({ messageId: _, ...revision }) => revision);
            await write({ type: 'message', ...message, feedback: feedback.get(message.id) ?? null, revisions: earlier });
          }
          counts.messages += messages.length;
          if (messages.length < ROW_BATCH) break;
          seq = messages.at(-1)!.seq;
        }
      }
      counts.threads += threads.length;
      if (threads.length < THREAD_BATCH) break;
      after = threads.at(-1)!.id;
    }
  });
  if (gone) return;
  await write({ type: 'end', ...counts });
  res.end();
}
