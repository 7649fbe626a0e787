import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { dataDirLayout } from '../data-dir/layout.js';
import { findRedisServer, startEmbeddedRedis } from './embedded-redis.js';

export interface RedisEndpoint {
  url: string;
  /** Stops the server if this process started it. */
  release(): Promise<void>;
}

/**
 * The configured Redis: REDIS_URL, or a private redis-server under the data directory when one
 * is installed, or none (the server then runs Postgres-only, degraded, and says so).
 */
export async function openRedis(config: Config, log: Logger): Promise<RedisEndpoint | null> {
  if (config.redis.kind === 'disabled') {
    log.warn('Redis disabled (DISABLE_REDIS=true): running degraded, every write waits for Postgres');
    return null;
  }
  if (config.redis.kind === 'external') return { url: config.redis.url, release: async () => {} };
  const binary = findRedisServer();
  if (!binary) {
    log.warn('No REDIS_URL and no redis-server installed: running degraded, every write waits for Postgres');
    return null;
  }
  const redis = await startEmbeddedRedis(binary, {
    directory: dataDirLayout(config.dataDir).redis,
    port: config.redis.port,
    appendFsync: config.redis.appendFsync,
    log,
  });
  return { url: redis.url, release: redis.stop };
}
