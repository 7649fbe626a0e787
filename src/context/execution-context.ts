import type { GraphQLError } from 'graphql';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { UnitOfWork } from '../db/unit-of-work.js';
import { clientError } from '../errors/error-codes.js';
import type { ConnectionId, RequestId } from '../ids/id-types.js';
import { ids } from '../ids/generate-ids.js';
import { RequestLoaders } from './request-loaders.js';
import type { MessageStore } from '../storage/message-store.js';
import type { SubscriptionRegistry } from '../realtime/subscription-registry.js';
import type { ArchiveQueries } from '../archive/analytics-queries.js';
import type { Eraser } from '../erasure/eraser.js';

/** Limits the resolvers enforce; from the config. */
export interface RequestLimits {
  maxMessageBytes: number;
  /** Most parts in one message (MAX_MESSAGE_PARTS). */
  maxMessageParts: number;
  /** URI schemes a file part may use. */
  fileUriSchemes: readonly string[];
}

/**
 * Everything a request or socket operation carries, created once at the edge and passed down,
 * never re-derived. `userId` is null when the caller is unauthenticated; `authFailure` then
 * says why, and auth scopes turn it into UNAUTHENTICATED for every guarded field.
 */
export interface ExecutionContext {
  userId: string | null;
  /** Who writes on the user's behalf (a delegated token's `act.sub`), or null: the user. */
  actor: string | null;
  authFailure: string | null;
  requestId: RequestId;
  connectionId: ConnectionId | null;
  uow: UnitOfWork;
  loaders: RequestLoaders;
  log: Logger;
  limits: RequestLimits;
  /** Long-lived: message writes and reads across the Redis and Postgres tiers. */
  messageStore: MessageStore;
  /** Long-lived: the instance's subscription registry; null over HTTP (subscriptions are served over graphql-ws). */
  realtime: SubscriptionRegistry | null;
  /** Long-lived: analytics over the ClickHouse archive, always scoped to one owner. */
  archive: ArchiveQueries;
  /** Long-lived: thread erasure across every tier (deleteThread and the like). */
  eraser: Eraser;
}

export type AuthenticatedContext = ExecutionContext & { userId: string };

/** UNAUTHENTICATED, saying why the caller has no user (missing, malformed, expired or bad token). */
export function unauthenticated(ctx: ExecutionContext): GraphQLError {
  return clientError('UNAUTHENTICATED', ctx.authFailure ?? 'Authentication required');
}

/** The caller's context narrowed to one with a user, or UNAUTHENTICATED. */
export function requireAuthenticated(ctx: ExecutionContext): AuthenticatedContext {
  if (ctx.userId === null) throw unauthenticated(ctx);
  return ctx as AuthenticatedContext;
}

export interface ContextSeed {
  db: Kysely<Database>;
  log: Logger;
  limits: RequestLimits;
  auth: { userId: string; actor: string | null } | { failure: string };
  connectionId?: ConnectionId | null;
  messageStore: MessageStore;
  realtime?: SubscriptionRegistry | null;
  archive: ArchiveQueries;
  eraser: Eraser;
}

export function createExecutionContext(seed: ContextSeed): ExecutionContext {
  const requestId = ids.requestId();
  const userId = 'userId' in seed.auth ? seed.auth.userId : null;
  const actor = 'userId' in seed.auth ? seed.auth.actor : null;
  const uow = new UnitOfWork(seed.db);
  return {
    userId,
    actor,
    authFailure: 'failure' in seed.auth ? seed.auth.failure : null,
    requestId,
    connectionId: seed.connectionId ?? null,
    uow,
    loaders: new RequestLoaders(uow, userId, seed.messageStore),
    log: seed.log.child({ requestId, ...(seed.connectionId ? { connectionId: seed.connectionId } : {}), userId, ...(actor !== null && { actor }) }),
    limits: seed.limits,
    messageStore: seed.messageStore,
    realtime: seed.realtime ?? null,
    archive: seed.archive,
    eraser: seed.eraser,
  };
}
