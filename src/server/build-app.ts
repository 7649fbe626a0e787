import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely, LogEvent } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { resolveJwtSecret } from '../context/jwt-secret.js';
import type { Database } from '../db/database.js';
import { createLogger } from '../logger.js';
import type { MessageStore } from '../storage/message-store.js';
import { createGraphqlHandler } from './graphql-handler.js';
import { handleOperationalRoute } from './http-routes.js';
import { openStorageTiers, type StorageTiers } from './storage-tiers.js';

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
  messageStore: MessageStore;
  tiers: StorageTiers;
}

/**
 * Wires the server from a config. `start` opens the storage tiers and listens; `stop` closes
 * sockets first, then workers, clients, pools and embedded servers.
 */
export function buildApp(config: Config, options: AppOptions = {}) {
  const log = options.log ?? createLogger(config.logLevel);
  const server = createServer();
  let tiers: StorageTiers | undefined;

  async function start(): Promise<RunningApp> {
    tiers = await openStorageTiers(config, log, options.onQuery);
    const jwtSecret = await resolveJwtSecret(config);
    const { db, redis, messageStore } = tiers;
    const graphql = createGraphqlHandler({ db, log, jwtSecret, limits: config.limits, messageStore });
    server.on('request', (req, res) => {
      if (!handleOperationalRoute(req, res, { db, redis, messageStore })) void graphql(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.http.port, config.http.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://localhost:${port}/graphql`;
    log.info({ url, writePath: messageStore.degraded ? 'postgres (degraded)' : 'redis' }, 'Threadline is listening');
    return { url, jwtSecret, db, messageStore, tiers };
  }

  async function stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await tiers?.close();
  }

  return { start, stop };
}
