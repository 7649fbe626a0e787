import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely, LogEvent } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { signUserToken, type TokenKeys } from '../context/bearer-token.js';
import { resolveTokenKeys } from '../context/token-keys.js';
import type { Database } from '../db/database.js';
import { createLogger } from '../logger.js';
import { reportDeadLetters, reportErasuresPending, reportOutboxPending, reportOutboxSetAside } from '../observability/metrics.js';
import { countPendingErasures } from '../repositories/erasures-repository.js';
import { countOutboxEntries } from '../repositories/outbox-repository.js';
import { countDeadLetters } from '../storage/dead-letters.js';
import type { MessageStore } from '../storage/message-store.js';
import { createSubscriptionRegistry, type SubscriptionRegistry } from '../realtime/subscription-registry.js';
import { createGraphqlHandler } from './graphql-handler.js';
import type { PlaygroundOptions } from './graphiql.js';
import { createHttpDrain } from './http-drain.js';
import { guardConnection } from './http-connection-guard.js';
import { handleOperationalRoute } from './http-routes.js';
import { handleDashboardRoute } from './dashboard-route.js';
import { handleExportRoute } from './export-route.js';
import { openStorageTiers, type StorageTiers } from './storage-tiers.js';
import { createWebsocketServer, type WebsocketServer } from './websocket-server.js';

export interface AppOptions {
  /** Logger; default a pino logger at the configured level. */
  log?: Logger;
  /** Observes every SQL statement (tests count them). */
  onQuery?: (event: LogEvent) => void;
}

export interface RunningApp {
  url: string;
  tokenKeys: TokenKeys;
  db: Kysely<Database>;
  messageStore: MessageStore;
  tiers: StorageTiers;
  /** What the real-time side holds right now (tests check it returns to 0). */
  realtime: { readonly subscriptions: number; readonly channels: number; readonly sockets: number };
}

/**
 * Wires the server from a config. `start` opens the storage tiers and listens; `stop` drains:
 * `/ready` turns 503 `draining`, the listener closes, requests in flight get
 * `config.shutdown.graceMs` to finish while graphql-ws sockets are closed with 1001, and then
 * workers, clients, pools and embedded servers stop.
 */
export function buildApp(config: Config, options: AppOptions = {}) {
  const log = options.log ?? createLogger(config.logLevel);
  const server = createServer();
  const shutdown = createHttpDrain(server, log);
  let tiers: StorageTiers | undefined;
  let closeRealtime = async () => {};
  let stopReporting = () => {};

  async function start(): Promise<RunningApp> {
    tiers = await openStorageTiers(config, log, options.onQuery);
    const tokenKeys = await resolveTokenKeys(config);
    const { db, redis, messageStore } = tiers;
    // One policy for both pages: GraphiQL's `?user=` and the dashboard's development sign-in.
    const playground = playgroundOf(config, tokenKeys);
    const graphql = createGraphqlHandler({
      db, log, tokenKeys, limits: config.limits, messageStore, archive: tiers.archive.queries, eraser: tiers.eraser, playground,
    });
    const dashboard = { dir: config.dashboard.dir, signToken: playground.signToken, log };
    // Its own connection: SUBSCRIBE puts a Redis connection in subscriber mode.
    const subscriber = await tiers.newRedisConnection(`threadline-events-${process.pid}`);
    // Subscription storms read through half the pool at most, leaving the rest to requests.
    const maxConcurrentReads = Math.max(1, Math.floor(config.postgres.poolSize / 2));
    const realtime = createSubscriptionRegistry({ redis: subscriber, log, ...config.realtime, maxConcurrentReads });
    const websockets = createWebsocketServer({
      server,
      yoga: graphql,
      seed: { db, log, limits: config.limits, messageStore, realtime, archive: tiers.archive.queries, eraser: tiers.eraser },
      tokenKeys,
      log,
      keepAliveMs: config.realtime.keepAliveMs,
      maxConnectionsPerUser: config.realtime.maxConnectionsPerUser,
      isProd: config.env === 'production',
    });
    closeRealtime = async () => {
      // Sockets first (closing them ends their subscriptions), then whatever registration is left.
      await websockets.close();
      await realtime.close();
    };
    // Erasures are pending with or without Redis (ClickHouse may be what they wait for).
    const stops = [reportErasuresPending(() => countPendingErasures(db))];
    if (redis) {
      stops.push(reportDeadLetters(() => countDeadLetters(redis)), reportOutboxPending(() => countOutboxEntries(db)), reportOutboxSetAside(() => countOutboxEntries(db, { setAside: true })));
    }
    stopReporting = () => stops.forEach((stop) => stop());
    server.on('request', (req, res) => {
      shutdown.track(req, res);
      guardConnection(req, res, () => {
        if (handleOperationalRoute(req, res, { db, redis, messageStore, shutdown })) return;
        if (handleDashboardRoute(req, res, dashboard)) return;
        if (!handleExportRoute(req, res, { db, tokenKeys, messageStore, log })) void graphql(req, res);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.http.port, config.http.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://localhost:${port}/graphql`;
    log.info({ url, writePath: messageStore.degraded ? 'postgres (degraded)' : 'redis' }, 'Threadline is listening');
    return { url, tokenKeys, db, messageStore, tiers, realtime: realtimeStats(realtime, websockets) };
  }

  async function stop(): Promise<void> {
    stopReporting();
    // Subscriptions never finish on their own: their sockets close (1001) while HTTP drains.
    await Promise.all([shutdown.drain(config.shutdown.graceMs), closeRealtime()]);
    await tiers?.close();
  }

  return { start, stop };
}

function realtimeStats(registry: SubscriptionRegistry, websockets: WebsocketServer): RunningApp['realtime'] {
  return {
    get subscriptions() {
      return registry.size;
    },
    get channels() {
      return registry.channels;
    },
    get sockets() {
      return websockets.sockets;
    },
  };
}

/** Development playgrounds mint a token for `/graphql?user=<name>`; production ones never do. */
function playgroundOf(config: Config, keys: TokenKeys): PlaygroundOptions {
  const { secret } = keys;
  if (config.env === 'production' || !secret) return { signToken: null };
  return { signToken: (userId) => signUserToken(userId, secret, '1d') };
}
