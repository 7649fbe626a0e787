import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisClientOptions {
  /** Shown in CLIENT LIST and logs. */
  name: string;
  log: Logger;
  /**
   * Longest a command may take before it fails, ms; it is what lets the hot path give up on a
   * hung server and fall back. Default 1000. Blocking readers pass a larger value.
   */
  commandTimeoutMs?: number;
}

/**
 * An ioredis connection tuned to fail fast: no offline queue (a command while disconnected
 * fails at once instead of waiting), one retry per request, reconnect with capped backoff,
 * and no auto-pipelining: it holds every command back to the next turn of the event loop (a
 * setImmediate) and wraps it in a pipeline, which cost a FAST send about 0.08 ms at one connection
 * and more under load (bench/send-message). A batch that wants one round trip asks for a pipeline.
 */
export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  const redis = new Redis(url, {
    connectionName: options.name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2_000),
    lazyConnect: true,
  });
  let down = false;
  redis.on('error', (error) => {
    if (!down) options.log.warn({ err: error, redis: options.name }, 'redis connection error');
    down = true;
  });
  redis.on('ready', () => {
    if (down) options.log.info({ redis: options.name }, 'redis connection restored');
    down = false;
  });
  return redis;
}
