import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { LogEvent } from 'kysely';
import pino, { type Logger } from 'pino';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { signUserToken } from '../../src/context/bearer-token.js';
import { buildApp } from '../../src/server/build-app.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256!!';

export interface GraphqlResponse<T = any> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: { code?: string } }>;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    // Embedded chDB binds one data path per process: one per test worker process.
    DATA_DIR: path.join(os.tmpdir(), `threadline-test-data-${process.pid}`),
    ...overrides,
  });
}

/** A unique user per test, so tests share one database without seeing each other's rows. */
export function newUserId(label = 'user'): string {
  return `${label}-${randomUUID()}`;
}

export function tokenFor(userId: string): Promise<string> {
  return signUserToken(userId, TEST_JWT_SECRET);
}

/** Starts the real server on a free port against the test database. */
export async function startTestApp(options: { onQuery?: (event: LogEvent) => void; env?: Record<string, string>; log?: Logger } = {}) {
  const app = buildApp(testConfig(options.env), { log: options.log ?? pino({ level: 'silent' }), onQuery: options.onQuery });
  const running = await app.start();

  /** POSTs an operation as `userId` (or with no Authorization header when userId is null). */
  async function gql<T = any>(userId: string | null, query: string, variables?: Record<string, unknown>): Promise<GraphqlResponse<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (userId !== null) headers.authorization = `Bearer ${await tokenFor(userId)}`;
    const response = await fetch(running.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: response.status, ...((await response.json()) as object) };
  }

  return { ...running, gql, stop: app.stop };
}

export type TestApp = Awaited<ReturnType<typeof startTestApp>>;
