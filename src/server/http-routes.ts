import type { IncomingMessage, ServerResponse } from 'node:http';
import { sql, type Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.js';
import { metricsRegistry } from '../observability/metrics.js';
import { countDeadLetters } from '../storage/dead-letters.js';
import type { MessageStore } from '../storage/message-store.js';

export interface ProbeTargets {
  db: Kysely<Database>;
  redis: Redis | null;
  messageStore: MessageStore;
}

/**
 * /health: the process is alive. /ready: can serve, and how: 200 "ready" on all tiers,
 * 200 "degraded" while writes bypass Redis, 503 when Postgres is unreachable (nothing durable
 * can be promised then); dead letters are counted and named in `warnings`. /metrics: Prometheus.
 */
export function handleOperationalRoute(req: IncomingMessage, res: ServerResponse, targets: ProbeTargets): boolean {
  const path = req.url?.split('?')[0];
  if (path === '/health') return respond(res, 200, { status: 'ok' });
  if (path === '/ready') return void readiness(targets).then((body) => respond(res, body.postgres === 'up' ? 200 : 503, body)), true;
  if (path === '/metrics') {
    void metricsRegistry.metrics().then((text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text));
    return true;
  }
  return false;
}

async function readiness({ db, redis, messageStore }: ProbeTargets) {
  const postgres = await sql`select 1`.execute(db).then(() => 'up', () => 'down');
  const redisState = redis ? await redis.ping().then(() => 'up', () => 'down') : 'not configured';
  const status = postgres === 'down' ? 'unavailable' : messageStore.degraded ? 'degraded' : 'ready';
  // Not a reason to stop serving, but an operator must act: each is a write that never reached its tier.
  const deadLetters = redis && redisState === 'up' ? await countDeadLetters(redis).catch(() => null) : null;
  const warnings = deadLetters ? [`${deadLetters} dead-lettered stream entries (acked writes a tier refused): npm run dead-letters -- list`] : [];
  return { status, postgres, redis: redisState, writePath: messageStore.degraded ? 'postgres' : 'redis', deadLetters, warnings };
}

function respond(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return true;
}
