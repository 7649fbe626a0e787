import type { IncomingMessage, ServerResponse } from 'node:http';
import { sql, type Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { Database } from '../db/database.js';
import { metricsRegistry } from '../observability/metrics.js';
import { countOutboxEntries } from '../repositories/outbox-repository.js';
import { countDeadLetters } from '../storage/dead-letters.js';
import type { MessageStore } from '../storage/message-store.js';

export interface ProbeTargets {
  db: Kysely<Database>;
  redis: Redis | null;
  messageStore: MessageStore;
  /** Shutdown has begun: /ready answers 503 `draining`, whatever the tiers say. */
  shutdown: { readonly draining: boolean };
}

/**
 * /health: the process is alive. /ready: can serve, and how: 200 "ready" on all tiers,
 * 200 "degraded" while writes bypass Redis, 503 when Postgres is unreachable (nothing durable
 * can be promised then), 503 "draining" once shutdown has begun (so a load balancer sends no more);
 * dead letters and outbox entries set aside are counted and named in `warnings`. /metrics: Prometheus.
 */
export function handleOperationalRoute(req: IncomingMessage, res: ServerResponse, targets: ProbeTargets): boolean {
  const path = req.url?.split('?')[0];
  if (path === '/health') return respond(res, 200, { status: 'ok' });
  if (path === '/ready') return void readiness(targets).then((body) => respond(res, body.status === 'ready' || body.status === 'degraded' ? 200 : 503, body)), true;
  if (path === '/metrics') {
    void metricsRegistry.metrics().then((text) => res.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text));
    return true;
  }
  return false;
}

async function readiness({ db, redis, messageStore, shutdown }: ProbeTargets) {
  const postgres = await sql`select 1`.execute(db).then(() => 'up', () => 'down');
  const redisState = redis ? await redis.ping().then(() => 'up', () => 'down') : 'not configured';
  // Not a reason to stop serving, but an operator must act: each is a write that never reached its tier.
  const deadLetters = redis && redisState === 'up' ? await countDeadLetters(redis).catch(() => null) : null;
  // Only the relay sets entries aside, and it runs only with Redis.
  const setAside = redis && postgres === 'up' ? await countOutboxEntries(db, { setAside: true }).catch(() => 0) : 0;
  const warnings = [
    ...(deadLetters ? [`${deadLetters} dead-lettered stream entries (acked writes a tier refused): npm run dead-letters -- list`] : []),
    ...(setAside ? [`${setAside} outbox entries set aside (committed changes Redis refused): see "Outbox entries set aside" in the README`] : []),
  ];
  // Checked after the probes: a shutdown that began while they ran must not be answered as ready.
  const status = shutdown.draining ? 'draining' : postgres === 'down' ? 'unavailable' : messageStore.degraded ? 'degraded' : 'ready';
  return { status, postgres, redis: redisState, writePath: messageStore.degraded ? 'postgres' : 'redis', deadLetters, warnings };
}

function respond(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return true;
}
