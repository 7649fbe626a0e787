import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';

const SECRET = 's'.repeat(32);

/** Loads a config that must be rejected and returns the problem lines of its message. */
function problemsOf(environment: Record<string, string | undefined>): string[] {
  let caught: unknown;
  try {
    loadConfig(environment);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const [heading, ...problems] = (caught as ConfigError).message.split('\n');
  expect(heading).toBe('Invalid configuration:');
  return problems.map((line) => line.trim());
}

const namedIn = (problems: string[]) => problems.map((line) => line.split(':')[0]);

describe('loadConfig defaults', () => {
  it('fills every setting from its default when the environment is empty', () => {
    expect(loadConfig({})).toEqual({
      env: 'development',
      http: { port: 4000, host: '0.0.0.0' },
      dataDir: '.threadline',
      postgres: { kind: 'embedded', port: 54329, poolSize: 10 },
      auth: { jwtSecret: undefined, jwks: null, issuer: undefined, audience: undefined },
      limits: { maxMessageBytes: 65_536, maxMessageParts: 100, fileUriSchemes: ['https'] },
      redis: { kind: 'embedded', port: 56379, appendFsync: 'everysec' },
      hotTier: { windowSize: 200, ttlSeconds: 7 * 86_400, viewerFeedMaxEvents: 1_000, threadEventLogMaxEvents: 1_000 },
      workers: { inProcess: true, batchSize: 500, blockMs: 20, claimIdleMs: 30_000, flushIntervalMs: 20, archiveBatchSize: 5_000, archiveFlushIntervalMs: 1_000 },
      clickhouse: { kind: 'embedded', path: '.threadline/clickhouse' },
      realtime: { keepAliveMs: 12_000, maxConnectionsPerUser: 20, maxSubscriptionsPerUser: 200, maxReplayMessages: 1_000, maxQueuedEvents: 1_000 },
      shutdown: { graceMs: 10_000 },
      erasure: { retentionDays: null, intervalMs: 1_000 },
      dashboard: { dir: 'dist/dashboard' },
      logLevel: 'info',
    } satisfies Config);
  });

  it('returns a deeply frozen object', () => {
    const config = loadConfig({});
    const objects = (value: unknown): object[] =>
      value && typeof value === 'object' ? [value, ...Object.values(value).flatMap(objects)] : [];
    expect(objects(config).length).toBeGreaterThan(8);
    for (const part of objects(config)) expect(Object.isFrozen(part)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config as { logLevel: string }).logLevel = 'trace';
    }).toThrow(TypeError);
    expect(config.http.port).toBe(4000);
  });

  it('returns a new object per call', () => {
    expect(loadConfig({})).not.toBe(loadConfig({}));
  });
});

describe('loadConfig values', () => {
  it('reads every setting from the environment', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '8080',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/threadline',
      EMBEDDED_PG_PORT: '5433',
      DATABASE_POOL_SIZE: '25',
      JWT_SECRET: SECRET,
      MAX_MESSAGE_BYTES: '1024',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      env: 'test',
      http: { port: 8080, host: '127.0.0.1' },
      dataDir: '/var/lib/threadline',
      postgres: { kind: 'embedded', port: 5433, poolSize: 25 },
      auth: { jwtSecret: SECRET, jwks: null, issuer: undefined, audience: undefined },
      limits: { maxMessageBytes: 1024, maxMessageParts: 100, fileUriSchemes: ['https'] },
      clickhouse: { kind: 'embedded', path: '/var/lib/threadline/clickhouse' },
      logLevel: 'debug',
    } satisfies Partial<Config>);
  });

  it('reads the Redis, hot tier and worker settings', () => {
    const config = loadConfig({
      EMBEDDED_REDIS_PORT: '6380',
      REDIS_APPENDFSYNC: 'always',
      HOT_WINDOW_SIZE: '50',
      HOT_STATE_TTL_DAYS: '0.5',
      RUN_WORKERS_IN_PROCESS: 'false',
      PERSISTER_BATCH_SIZE: '100',
      PERSISTER_BLOCK_MS: '5',
      PERSISTER_CLAIM_IDLE_MS: '1000',
      ARCHIVE_BATCH_SIZE: '42',
      PERSISTER_FLUSH_INTERVAL_MS: '0',
      ARCHIVE_FLUSH_INTERVAL_MS: '250',
      THREAD_EVENT_LOG_MAX_EVENTS: '50',
    });
    expect(config.redis).toEqual({ kind: 'embedded', port: 6380, appendFsync: 'always' });
    expect(config.hotTier).toEqual({ windowSize: 50, ttlSeconds: 43_200, viewerFeedMaxEvents: 1_000, threadEventLogMaxEvents: 50 });
    expect(config.workers).toEqual({ inProcess: false, batchSize: 100, blockMs: 5, claimIdleMs: 1000, flushIntervalMs: 0, archiveBatchSize: 42, archiveFlushIntervalMs: 250 });
  });

  it('reads the shutdown grace period, and refuses a negative one', () => {
    expect(loadConfig({ SHUTDOWN_GRACE_MS: '2500' }).shutdown).toEqual({ graceMs: 2_500 });
    expect(namedIn(problemsOf({ SHUTDOWN_GRACE_MS: '-1' }))).toEqual(['SHUTDOWN_GRACE_MS']);
  });

  it('reads retention and the eraser interval, and refuses a retention under a day', () => {
    expect(loadConfig({ RETENTION_DAYS: '30', ERASURE_INTERVAL_MS: '250' }).erasure).toEqual({ retentionDays: 30, intervalMs: 250 });
    expect(namedIn(problemsOf({ RETENTION_DAYS: '0' }))).toEqual(['RETENTION_DAYS']);
    expect(namedIn(problemsOf({ RETENTION_DAYS: '1.5' }))).toEqual(['RETENTION_DAYS']);
  });

  it('switches to an external Redis and ClickHouse when their URLs are set', () => {
    const config = loadConfig({ REDIS_URL: 'redis://cache:6379/0', CLICKHOUSE_URL: 'http://archive:8123' });
    expect(config.redis).toEqual({ kind: 'external', url: 'redis://cache:6379/0' });
    expect(config.clickhouse).toEqual({ kind: 'external', url: 'http://archive:8123' });
  });

  it('switches to an external Postgres when DATABASE_URL is set', () => {
    const url = 'postgres://threadline:secret@db.internal:5432/threadline';
    const config = loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '50', EMBEDDED_PG_PORT: '5433' });
    expect(config.postgres).toEqual({ kind: 'external', url, poolSize: 50 });
    expect(config.postgres).not.toHaveProperty('port');
  });

  it('ignores variables it does not know', () => {
    const config = loadConfig({ PATH: '/usr/bin', HOME: '/root', SHELL: 'zsh' });
    expect(JSON.stringify(config)).not.toMatch(/usr\/bin|root|zsh/);
    expect(config).toEqual(loadConfig({}));
  });

  it.each([
    ['PORT', '0', (config: Config) => config.http.port, 0],
    ['PORT', '65535', (config: Config) => config.http.port, 65_535],
    ['EMBEDDED_PG_PORT', '1', (config: Config) => (config.postgres.kind === 'embedded' ? config.postgres.port : -1), 1],
    ['DATABASE_POOL_SIZE', '1', (config: Config) => config.postgres.poolSize, 1],
    ['DATABASE_POOL_SIZE', '200', (config: Config) => config.postgres.poolSize, 200],
    ['MAX_MESSAGE_BYTES', '1', (config: Config) => config.limits.maxMessageBytes, 1],
    ['MAX_MESSAGE_BYTES', '10485760', (config: Config) => config.limits.maxMessageBytes, 10_485_760],
  ])('accepts %s=%s at the edge of its range', (name, value, read, expected) => {
    expect(read(loadConfig({ [name]: value }))).toBe(expected);
  });

  it('reads FILE_URI_SCHEMES as a list of lower-case schemes', () => {
    expect(loadConfig({ FILE_URI_SCHEMES: 'https, S3' }).limits.fileUriSchemes).toEqual(['https', 's3']);
  });

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])('accepts LOG_LEVEL=%s', (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
  });
});

describe('loadConfig rejections', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['EMBEDDED_PG_PORT', '0'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_POOL_SIZE', '201'],
    ['MAX_MESSAGE_BYTES', '0'],
    ['MAX_MESSAGE_BYTES', '-1'],
    ['MAX_MESSAGE_BYTES', '10485761'],
    ['NODE_ENV', 'staging'],
    ['NODE_ENV', 'Production'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'not a url'],
    ['DATABASE_URL', ''],
    ['REDIS_URL', 'redis host'],
    ['CLICKHOUSE_URL', '//archive'],
    ['REDIS_APPENDFSYNC', 'sometimes'],
    ['RUN_WORKERS_IN_PROCESS', 'yes'],
    ['HOT_STATE_TTL_DAYS', '0'],
    ['PERSISTER_CLAIM_IDLE_MS', '99'],
    ['ARCHIVE_FLUSH_INTERVAL_MS', '-1'],
    ['FILE_URI_SCHEMES', 'https,data'],
    ['FILE_URI_SCHEMES', 'ht tp'],
    ['FILE_URI_SCHEMES', ''],
  ])('rejects %s=%j, naming it', (name, value) => {
    expect(namedIn(problemsOf({ [name]: value }))).toEqual([name]);
  });

  it('reports PORT=abc and MAX_MESSAGE_BYTES=-1 together in one error', () => {
    const problems = problemsOf({ PORT: 'abc', MAX_MESSAGE_BYTES: '-1' });
    expect(namedIn(problems)).toEqual(['PORT', 'MAX_MESSAGE_BYTES']);
    expect(problems[1]).toMatch(/>=\s*1/);
  });

  it('reports every bad variable at once', () => {
    const problems = problemsOf({
      NODE_ENV: 'staging',
      PORT: 'abc',
      DATABASE_URL: 'not a url',
      EMBEDDED_PG_PORT: '0',
      DATABASE_POOL_SIZE: '201',
      JWT_SECRET: 'short',
      MAX_MESSAGE_BYTES: '-1',
      LOG_LEVEL: 'loud',
    });
    expect(namedIn(problems).sort()).toEqual(
      ['DATABASE_POOL_SIZE', 'DATABASE_URL', 'EMBEDDED_PG_PORT', 'JWT_SECRET', 'LOG_LEVEL', 'MAX_MESSAGE_BYTES', 'NODE_ENV', 'PORT'],
    );
  });

  it('requires JWT_SECRET in production', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual(['JWT_SECRET: required when NODE_ENV=production (or a JWKS: JWT_JWKS_URL or JWT_JWKS_FILE)']);
  });

  it('accepts production with a JWKS and no secret: only the identity provider\'s tokens then', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_JWKS_URL: 'https://idp.example.test/jwks.json', JWT_ISSUER: 'https://idp.example.test' });
    expect(config.auth).toEqual({ jwtSecret: undefined, jwks: { kind: 'url', url: 'https://idp.example.test/jwks.json' }, issuer: 'https://idp.example.test', audience: undefined });
    expect(loadConfig({ JWT_JWKS_FILE: '/etc/threadline/jwks.json', JWT_AUDIENCE: 'threadline' }).auth).toMatchObject({ jwks: { kind: 'file', path: '/etc/threadline/jwks.json' }, audience: 'threadline' });
  });

  it('refuses a JWKS from a URL and a file at once, and a JWKS URL that is no URL', () => {
    expect(problemsOf({ JWT_JWKS_URL: 'https://idp.example.test/jwks.json', JWT_JWKS_FILE: 'jwks.json' })).toEqual(['JWT_JWKS_URL, JWT_JWKS_FILE: set one of them, not both']);
    expect(namedIn(problemsOf({ JWT_JWKS_URL: 'not a url' }))).toEqual(['JWT_JWKS_URL']);
  });

  it('reports a missing production JWT_SECRET together with the other problems', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PORT: 'abc', MAX_MESSAGE_BYTES: '-1' });
    expect(namedIn(problems).sort()).toEqual(['JWT_SECRET', 'MAX_MESSAGE_BYTES', 'PORT']);
  });

  it('accepts production with a secret of 32 characters', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET });
    expect(config.env).toBe('production');
    expect(config.auth.jwtSecret).toBe(SECRET);
  });

  it.each(['development', 'production', 'test'])('rejects a 31-character JWT_SECRET when NODE_ENV=%s', (env) => {
    const problems = problemsOf({ NODE_ENV: env, JWT_SECRET: 's'.repeat(31) });
    expect(problems).toEqual(['JWT_SECRET: JWT_SECRET must be at least 32 characters']);
  });

  it('rejects an empty JWT_SECRET in production once, as too short', () => {
    expect(namedIn(problemsOf({ NODE_ENV: 'production', JWT_SECRET: '' }))).toEqual(['JWT_SECRET']);
  });

  it('never puts the secret itself in the error', () => {
    const secret = 'hunter2-hunter2';
    const problems = problemsOf({ JWT_SECRET: secret });
    expect(problems.join('\n')).not.toContain(secret);
  });

  it('throws a ConfigError, which is an Error', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(Error);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
  });
});

describe('loadConfig and process.env', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads only the environment it is given', () => {
    vi.stubEnv('PORT', '9999');
    vi.stubEnv('NODE_ENV', 'production');
    expect(loadConfig({}).http.port).toBe(4000);
    expect(loadConfig({}).env).toBe('development');
  });

  it('defaults to process.env', () => {
    const settings = { NODE_ENV: 'test', PORT: '9999', HOST: '::1', DATA_DIR: '/tmp/t', EMBEDDED_PG_PORT: '6000' };
    for (const [name, value] of Object.entries(settings)) vi.stubEnv(name, value);
    const unset = ['DATABASE_URL', 'DATABASE_POOL_SIZE', 'JWT_SECRET', 'MAX_MESSAGE_BYTES', 'LOG_LEVEL', 'REDIS_URL', 'CLICKHOUSE_URL'];
    for (const name of unset) vi.stubEnv(name, undefined);
    const config = loadConfig();
    expect(config.env).toBe('test');
    expect(config.http).toEqual({ port: 9999, host: '::1' });
    expect(config.postgres).toEqual({ kind: 'embedded', port: 6000, poolSize: 10 });
  });
});
