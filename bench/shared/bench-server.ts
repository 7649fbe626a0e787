import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig } from '../../src/config.js';
import { signUserToken } from '../../src/context/bearer-token.js';
import { ids } from '../../src/ids/generate-ids.js';
import { insertThread } from '../../src/repositories/threads-repository.js';
import { buildApp, type RunningApp } from '../../src/server/build-app.js';

/** The HS256 secret every bench server verifies tokens with. */
export const BENCH_JWT_SECRET = 'threadline-bench-secret-long-enough-for-hs256';

export interface BenchServer {
  app: RunningApp;
  /** HTTP endpoint (GraphQL over POST). */
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/**
 * The server as main.ts builds it (buildApp over a parsed production config), on the bench's
 * Postgres and Redis, with per-user limits raised: in the real-time benches one user holds every
 * subscriber of a thread.
 */
export async function startBenchServer(urls: { directory: string; databaseUrl: string; redisUrl: string }, log: Logger): Promise<BenchServer> {
  const config = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: join(urls.directory, 'data'),
    DATABASE_URL: urls.databaseUrl,
    REDIS_URL: urls.redisUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: BENCH_JWT_SECRET,
    LOG_LEVEL: 'warn',
    WS_MAX_CONNECTIONS_PER_USER: '20000',
    WS_MAX_SUBSCRIPTIONS_PER_USER: '40000',
  });
  const app = buildApp(config, { log });
  const running = await app.start().catch(async (error) => {
    await app.stop().catch(() => {});
    throw error;
  });
  const url = running.url.replace('//localhost:', '//127.0.0.1:');
  return { app: running, url, wsUrl: url.replace(/^http/, 'ws'), stop: app.stop };
}

/** A Bearer token of `userId` that the bench servers accept. */
export function benchUserToken(userId: string): Promise<string> {
  return signUserToken(userId, BENCH_JWT_SECRET);
}

/** `count` threads, each owned by its own user (`<label>-<i>`), with that user's token. */
export async function seedBenchThreads(app: RunningApp, label: string, count: number): Promise<Array<{ threadId: string; token: string }>> {
  const threads = [];
  for (let i = 0; i < count; i++) {
    const ownerId = `${label}-${i}`;
    const thread = await app.db.transaction().execute((trx) =>
      insertThread(trx, { id: ids.threadId('bench'), ownerId, title: `Bench ${label} ${i}`, metadata: { bench: true } }),
    );
    threads.push({ threadId: thread.id as string, token: await benchUserToken(ownerId) });
  }
  return threads;
}
