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
  /** Largest message content, in UTF-8 bytes. Default 65536. */
  MAX_MESSAGE_BYTES: z.coerce.number().int().min(1).max(10_485_760).default(65_536),
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
  readonly auth: { readonly jwtSecret: string | undefined };
  readonly limits: { readonly maxMessageBytes: number };
  readonly logLevel: string;
}

export class ConfigError extends Error {}

/** Parses the environment, reporting every problem at once rather than the first. */
export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvironmentModel.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const env = parsed.data;
  if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
    throw new ConfigError('Invalid configuration:\n  JWT_SECRET: required when NODE_ENV=production');
  }
  return deepFreeze({
    env: env.NODE_ENV,
    http: { port: env.PORT, host: env.HOST },
    dataDir: env.DATA_DIR,
    postgres: env.DATABASE_URL
      ? { kind: 'external', url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
      : { kind: 'embedded', port: env.EMBEDDED_PG_PORT, poolSize: env.DATABASE_POOL_SIZE },
    auth: { jwtSecret: env.JWT_SECRET },
    limits: { maxMessageBytes: env.MAX_MESSAGE_BYTES },
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
