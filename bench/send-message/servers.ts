import { join } from 'node:path';
import type { Kysely } from 'kysely';
import pino, { type Logger } from 'pino';
import { loadConfig } from '../../src/config.js';
import { signUserToken } from '../../src/context/bearer-token.js';
import type { Database } from '../../src/db/database.js';
import { ids } from '../../src/ids/generate-ids.js';
import { insertThread } from '../../src/repositories/threads-repository.js';
import { buildApp, type RunningApp } from '../../src/server/build-app.js';

export type PathName = 'FAST' | 'NAIVE';

/** embedded: as shipped (no CLICKHOUSE_URL: the archiver runs on embedded chDB in the server process). unreachable: CLICKHOUSE_URL points at a closed port, so no archiver runs. */
export type ArchiveMode = 'embedded' | 'unreachable';

export const BENCH_JWT_SECRET = 'threadline-bench-secret-long-enough-for-hs256';

/** One thread and its owner's token: what a load client needs to send to it. */
export interface BenchThread {
  threadId: string;
  token: string;
}

export interface BenchServer {
  path: PathName;
  url: string;
  metricsUrl: string;
  app: RunningApp;
  stop(): Promise<void>;
}

/**
 * A server built exactly as `main.ts` builds one (buildApp over a parsed config), against the
 * bench's Postgres. FAST: Redis hot path with the persister in process (the default).
 * NAIVE: DISABLE_REDIS=true, so sendMessage commits in Postgres before it acks.
 */
export async function startBenchServer(
  path: PathName,
  urls: { directory: string; databaseUrl: string; redisUrl: string; clickhouseUrl?: string | undefined },
  log: Logger,
): Promise<BenchServer> {
  const config = loadConfig({
    NODE_ENV: 'production',
    // Embedded chDB (the archive, when no CLICKHOUSE_URL) lives here too, never in the repository.
    DATA_DIR: join(urls.directory, 'data'),
    DATABASE_URL: urls.databaseUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: BENCH_JWT_SECRET,
    LOG_LEVEL: 'warn',
    ...(urls.clickhouseUrl ? { CLICKHOUSE_URL: urls.clickhouseUrl } : {}),
    ...(path === 'FAST' ? { REDIS_URL: urls.redisUrl } : { DISABLE_REDIS: 'true' }),
  });
  const app = buildApp(config, { log: urls.clickhouseUrl ? withoutClickHouseNoise(log).child({ server: path }) : log.child({ server: path }) });
  const running = await app.start().catch(async (error) => {
    await app.stop().catch(() => {});
    throw error;
  });
  // buildApp reports `localhost`; the load stays on the IPv4 loopback it listens on.
  const url = running.url.replace('//localhost:', '//127.0.0.1:');
  return { path, url, metricsUrl: url.replace(/\/graphql$/, '/metrics'), app: running, stop: app.stop };
}

/**
 * `count` threads, each owned by its own user, seeded through the repositories (as the test seed
 * builder does). FAST and NAIVE get disjoint sets: their sequences come from different places.
 */
export async function seedBenchThreads(db: Kysely<Database>, label: string, count: number): Promise<BenchThread[]> {
  const threads: BenchThread[] = [];
  for (let i = 0; i < count; i++) {
    const ownerId = `bench-${label}-${i}`;
    const thread = await db.transaction().execute((trx) =>
      insertThread(trx, { id: ids.threadId('bench'), ownerId, title: `Bench ${label} ${i}`, metadata: { bench: true } }),
    );
    threads.push({ threadId: thread.id, token: await signUserToken(ownerId, BENCH_JWT_SECRET) });
  }
  return threads;
}

/** With ClickHouse deliberately unreachable, its retry warnings (every few seconds) are expected: drop them. */
function withoutClickHouseNoise(log: Logger): Logger {
  return pino({
    level: log.level,
    hooks: {
      logMethod(args, method) {
        const text = args.map((arg) => (typeof arg === 'string' ? arg : '')).join(' ');
        if (!/ClickHouse/.test(text)) method.apply(this, args);
      },
    },
  });
}
