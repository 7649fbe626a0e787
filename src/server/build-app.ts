import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql, type Kysely, type LogEvent } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { resolveJwtSecret } from '../context/jwt-secret.js';
import { createDatabase } from '../db/create-database.js';
import type { Database } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { openPostgres, type PostgresEndpoint } from '../db/open-postgres.js';
import { createLogger } from '../logger.js';
import { createGraphqlHandler } from './graphql-handler.js';

export interface AppOptions {
  /** Logger; default a pino logger at the configured level. */
  log?: Logger;
  /** Observes every SQL statement (tests count them). */
  onQuery?: (event: LogEvent) => void;
}

export interface RunningApp {
  url: string;
  jwtSecret: string;
  db: Kysely<Database>;
}

/**
 * Wires the server from a config. `start` brings up Postgres (embedded unless DATABASE_URL),
 * migrates, and listens; `stop` closes sockets, the pool and any embedded server, in that order.
 */
export function buildApp(config: Config, options: AppOptions = {}) {
  const log = options.log ?? createLogger(config.logLevel);
  let postgres: PostgresEndpoint | undefined;
  let db: Kysely<Database> | undefined;
  const server = createServer();

  async function start(): Promise<RunningApp> {
    postgres = await openPostgres(config, log);
    db = createDatabase({ connectionString: postgres.connectionString, poolSize: config.postgres.poolSize, onQuery: options.onQuery });
    await migrateToLatest(db);
    const jwtSecret = await resolveJwtSecret(config);
    const graphql = createGraphqlHandler({ db, log, jwtSecret, limits: config.limits });
    const activeDb = db;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/health') return void respondJson(res, 200, { status: 'ok' });
      if (req.url === '/ready') return void readiness(activeDb).then(({ status, body }) => respondJson(res, status, body));
      return void graphql(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.http.port, config.http.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://localhost:${port}/graphql`;
    log.info({ url }, 'Threadline is listening');
    return { url, jwtSecret, db };
  }

  async function stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await db?.destroy();
    await postgres?.release();
  }

  return { start, stop };
}

async function readiness(db: Kysely<Database>) {
  try {
    await sql`select 1`.execute(db);
    return { status: 200, body: { status: 'ready', postgres: 'up' } };
  } catch {
    return { status: 503, body: { status: 'unavailable', postgres: 'down' } };
  }
}

function respondJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
