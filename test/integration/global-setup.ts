import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../../src/db/create-database.js';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrateToLatest } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

/**
 * One real Postgres for the whole integration run, migrated once: TEST_DATABASE_URL when set,
 * otherwise a throwaway embedded cluster in a temporary directory.
 */
export default async function setup(project: TestProject) {
  const log = pino({ level: 'warn' });
  const external = process.env.TEST_DATABASE_URL;
  let directory: string | undefined;
  let stop = async () => {};
  let url: string;
  if (external) {
    url = external;
  } else {
    directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-test-'));
    // Postgres runs as the unprivileged `postgres` user when we are root: it must be able to enter.
    await chmod(directory, 0o755);
    const postgres = await startEmbeddedPostgres({ directory: path.join(directory, 'postgres'), port: await freePort(), log });
    url = postgres.connectionString;
    stop = postgres.stop;
  }
  const db = createDatabase({ connectionString: url });
  await migrateToLatest(db);
  await db.destroy();
  project.provide('databaseUrl', url);
  return async () => {
    await stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
