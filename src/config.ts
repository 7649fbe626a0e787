import { z } from 'zod';

/**
 * The whole runtime configuration, parsed once from the environment. No other file reads
 * `process.env`; tests build a `Config` directly.
 */
const EnvironmentModel = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** HTTP port. Default 4000. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Interface to listen on. Default 0.0.0.0. */
  HOST: z.string().default('0.0.0.0'),
  /** Where embedded services and the development secret live. Default ./.threadline */
  DATA_DIR: z.string().default('.threadline'),
  /** Postgres connection string; unset starts an embedded Postgres under DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  /** Port of the embedded Postgres. Default 54329. */
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  /** Postgres pool size. Default 10. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** HS256 secret for Bearer JWTs. Required in production; generated under DATA_DIR otherwise. */
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  /** A JWKS to verify RS256/ES256 tokens with, fetched and cached (e.g. an identity provider's jwks_uri). */
  JWT_JWKS_URL: z.string().url().optional(),
  /** The same, from a file (air-gapped deployments, tests). At most one of the two. */
  JWT_JWKS_FILE: z.string().min(1).optional(),
  /** Required `iss` of JWKS-verified tokens. */
  JWT_ISSUER: z.string().min(1).optional(),
  /** Required `aud` of JWKS-verified tokens. */
  JWT_AUDIENCE: z.string().min(1).optional(),
  /** Largest message content, in UTF-8 bytes. Default 65536. */
  MAX_MESSAGE_BYTES: z.coerce.number().int().min(1).max(10_485_760).default(65_536),
  /** Most parts one message may hold. Default 100. */
  MAX_MESSAGE_PARTS: z.coerce.number().int().min(1).max(10_000).default(100),
  // Lower-case URI schemes a file part may use, comma-separated; never `data` (files go by reference).
  FILE_URI_SCHEMES: z.string()
    .default('https')
    .transform((value) => value.split(',').map((scheme) => scheme.trim().toLowerCase()))
    .refine((schemes) => schemes.every((scheme) => /^[a-z][a-z0-9+.-]*$/.test(scheme)), 'must list URI schemes such as https, comma-separated')
    .refine((schemes) => !schemes.includes('data'), 'must not list data: it would inline the file'),
  /** Redis connection string; unset starts a private redis-server under DATA_DIR when one is installed. */
  REDIS_URL: z.string().url().optional(),
  /** Set to true to run without Redis at all (Postgres-only, degraded). Default false. */
  DISABLE_REDIS: z.enum(['true', 'false']).default('false').transform((value) => value === 'true'),
  /** Port of the embedded redis-server. Default 56379. */
  EMBEDDED_REDIS_PORT: z.coerce.number().int().min(1).max(65535).default(56379),
  /** AOF fsync policy of the embedded redis-server: what a crash can lose. Default everysec. */
  REDIS_APPENDFSYNC: z.enum(['always', 'everysec', 'no']).default('everysec'),
  /** Messages kept per thread in the Redis window. Default 200. */
  HOT_WINDOW_SIZE: z.coerce.number().int().min(1).max(100_000).default(200),
  /** Days an idle thread's hot state stays in Redis. Default 7. */
  HOT_STATE_TTL_DAYS: z.coerce.number().min(0.0001).max(365).default(7),
  /** Events kept per user in the Redis viewer feed (viewerEvents); resuming from further back is REPLAY_UNAVAILABLE. Trimmed approximately (MAXLEN ~), never below this. Default 1000. */
  VIEWER_FEED_MAX_EVENTS: z.coerce.number().int().min(10).max(1_000_000).default(1_000),
  /** Events kept per thread in its Redis event log (threadEvents and runUpdated `after`); resuming from further back is REPLAY_UNAVAILABLE. Never below this, at most a twentieth above. Default 1000. */
  THREAD_EVENT_LOG_MAX_EVENTS: z.coerce.number().int().min(10).max(1_000_000).default(1_000),
  /** Run the Postgres persister and ClickHouse archiver inside the server process. Default true. */
  RUN_WORKERS_IN_PROCESS: z.enum(['true', 'false']).default('true').transform((value) => value === 'true'),
  /** Stream entries per persister batch. Default 500. */
  PERSISTER_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** How long a persister read waits for entries, ms. Default 20. */
  PERSISTER_BLOCK_MS: z.coerce.number().int().min(1).max(60_000).default(20),
  /** Least time between two short persister batches, ms: a trickle of messages becomes fewer, larger inserts. Default 20. */
  PERSISTER_FLUSH_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(20),
  /** Pending entries idle this long are reclaimed from a dead worker, ms. Default 30000. */
  PERSISTER_CLAIM_IDLE_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /** ClickHouse server URL; unset uses embedded chDB under DATA_DIR. */
  CLICKHOUSE_URL: z.string().url().optional(),
  /** Rows per ClickHouse insert. Default 5000. */
  ARCHIVE_BATCH_SIZE: z.coerce.number().int().min(1).max(100_000).default(5_000),
  /** Least time between two short ClickHouse inserts, ms (ClickHouse wants few, large inserts). Default 1000. */
  ARCHIVE_FLUSH_INTERVAL_MS: z.coerce.number().int().min(0).max(600_000).default(1_000),
  /** graphql-ws keep-alive: ping every socket this often and drop it when no pong comes back in as long, ms. Default 12000. */
  WS_KEEPALIVE_MS: z.coerce.number().int().min(0).max(600_000).default(12_000),
  /** Open graphql-ws connections per user, per server instance. Default 20. */
  WS_MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(20),
  /** Live subscriptions per user, per server instance. Default 200. */
  WS_MAX_SUBSCRIPTIONS_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(200),
  /** Most messages a subscription with `afterSeq` replays; further back is refused with REPLAY_UNAVAILABLE. Default 1000. */
  SUBSCRIPTION_MAX_REPLAY: z.coerce.number().int().min(1).max(100_000).default(1_000),
  /** Events queued for one slow subscriber before it is ended with an error. Default 1000. */
  SUBSCRIPTION_MAX_QUEUED: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  /** On SIGTERM/SIGINT, how long requests in flight get to finish before their connections are closed, ms. Default 10000. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** Erase threads this many days after their last activity (the retention sweeper); unset keeps them forever. A thread's own retainUntil overrides it. */
  RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  /** How often the eraser advances pending erasures and sweeps expired threads, ms. Default 1000. */
  ERASURE_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(1_000),
  /** The built dashboard (vite build's output) that /dashboard serves. Default dist/dashboard */
  DASHBOARD_DIR: z.string().min(1).default('dist/dashboard'),
  /** pino level. Default info. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly http: { readonly port: number; readonly host: string };
  readonly dataDir: string;
  readonly postgres:
    | { readonly kind: 'external'; readonly url: string; readonly poolSize: number }
    | { readonly kind: 'embedded'; readonly port: number; readonly poolSize: number };
  readonly auth: {
    readonly jwtSecret: string | undefined;
    readonly jwks: { readonly kind: 'url'; readonly url: string } | { readonly kind: 'file'; readonly path: string } | null;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
  };
  readonly limits: { readonly maxMessageBytes: number; readonly maxMessageParts: number; readonly fileUriSchemes: readonly string[] };
  readonly redis:
    | { readonly kind: 'disabled' }
    | { readonly kind: 'external'; readonly url: string }
    | { readonly kind: 'embedded'; readonly port: number; readonly appendFsync: 'always' | 'everysec' | 'no' };
  readonly hotTier: { readonly windowSize: number; readonly ttlSeconds: number; readonly viewerFeedMaxEvents: number; readonly threadEventLogMaxEvents: number };
  readonly workers: {
    readonly inProcess: boolean;
    readonly batchSize: number;
    readonly blockMs: number;
    readonly claimIdleMs: number;
    readonly flushIntervalMs: number;
    readonly archiveBatchSize: number;
    readonly archiveFlushIntervalMs: number;
  };
  readonly clickhouse: { readonly kind: 'external'; readonly url: string } | { readonly kind: 'embedded'; readonly path: string };
  readonly realtime: {
    readonly keepAliveMs: number;
    readonly maxConnectionsPerUser: number;
    readonly maxSubscriptionsPerUser: number;
    readonly maxReplayMessages: number;
    readonly maxQueuedEvents: number;
  };
  readonly shutdown: { readonly graceMs: number };
  readonly erasure: { readonly retentionDays: number | null; readonly intervalMs: number };
  readonly dashboard: { readonly dir: string };
  readonly logLevel: string;
}

export class ConfigError extends Error {}

/** Parses the environment, reporting every problem at once rather than the first. */
export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvironmentModel.safeParse(environment);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  // Read from the raw environment so it is reported with the other problems, not after they are fixed.
  const jwks = environment.JWT_JWKS_URL ?? environment.JWT_JWKS_FILE;
  if (environment.NODE_ENV === 'production' && environment.JWT_SECRET === undefined && jwks === undefined) {
    problems.push('  JWT_SECRET: required when NODE_ENV=production (or a JWKS: JWT_JWKS_URL or JWT_JWKS_FILE)');
  }
  if (environment.JWT_JWKS_URL !== undefined && environment.JWT_JWKS_FILE !== undefined) {
    problems.push('  JWT_JWKS_URL, JWT_JWKS_FILE: set one of them, not both');
  }
  if (!parsed.success || problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const env = parsed.data;
  return deepFreeze({
    env: env.NODE_ENV,
    http: { port: env.PORT, host: env.HOST },
    dataDir: env.DATA_DIR,
    postgres: env.DATABASE_URL
      ? { kind: 'external', url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
      : { kind: 'embedded', port: env.EMBEDDED_PG_PORT, poolSize: env.DATABASE_POOL_SIZE },
    auth: {
      jwtSecret: env.JWT_SECRET,
      jwks: env.JWT_JWKS_URL ? { kind: 'url', url: env.JWT_JWKS_URL } : env.JWT_JWKS_FILE ? { kind: 'file', path: env.JWT_JWKS_FILE } : null,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
    },
    limits: { maxMessageBytes: env.MAX_MESSAGE_BYTES, maxMessageParts: env.MAX_MESSAGE_PARTS, fileUriSchemes: env.FILE_URI_SCHEMES },
    redis: env.DISABLE_REDIS
      ? { kind: 'disabled' }
      : env.REDIS_URL
      ? { kind: 'external', url: env.REDIS_URL }
      : { kind: 'embedded', port: env.EMBEDDED_REDIS_PORT, appendFsync: env.REDIS_APPENDFSYNC },
    hotTier: {
      windowSize: env.HOT_WINDOW_SIZE,
      ttlSeconds: Math.round(env.HOT_STATE_TTL_DAYS * 86_400),
      viewerFeedMaxEvents: env.VIEWER_FEED_MAX_EVENTS,
      threadEventLogMaxEvents: env.THREAD_EVENT_LOG_MAX_EVENTS,
    },
    workers: {
      inProcess: env.RUN_WORKERS_IN_PROCESS,
      batchSize: env.PERSISTER_BATCH_SIZE,
      blockMs: env.PERSISTER_BLOCK_MS,
      claimIdleMs: env.PERSISTER_CLAIM_IDLE_MS,
      flushIntervalMs: env.PERSISTER_FLUSH_INTERVAL_MS,
      archiveBatchSize: env.ARCHIVE_BATCH_SIZE,
      archiveFlushIntervalMs: env.ARCHIVE_FLUSH_INTERVAL_MS,
    },
    clickhouse: env.CLICKHOUSE_URL
      ? { kind: 'external', url: env.CLICKHOUSE_URL }
      : { kind: 'embedded', path: `${env.DATA_DIR}/clickhouse` },
    realtime: {
      keepAliveMs: env.WS_KEEPALIVE_MS,
      maxConnectionsPerUser: env.WS_MAX_CONNECTIONS_PER_USER,
      maxSubscriptionsPerUser: env.WS_MAX_SUBSCRIPTIONS_PER_USER,
      maxReplayMessages: env.SUBSCRIPTION_MAX_REPLAY,
      maxQueuedEvents: env.SUBSCRIPTION_MAX_QUEUED,
    },
    shutdown: { graceMs: env.SHUTDOWN_GRACE_MS },
    erasure: { retentionDays: env.RETENTION_DAYS ?? null, intervalMs: env.ERASURE_INTERVAL_MS },
    dashboard: { dir: env.DASHBOARD_DIR },
    logLevel: env.LOG_LEVEL,
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
