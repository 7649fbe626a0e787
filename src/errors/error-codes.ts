import { GraphQLError } from 'graphql';

/**
 * The closed set of `extensions.code` values a client can see. Clients switch on these,
 * so adding one is an API change; reusing one for a new meaning is a bug.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'INVALID_ID'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'QUERY_TOO_COMPLEX'
  /** A per-user limit (connections, subscriptions) or a slow subscriber's queue was exceeded. */
  | 'LIMIT_EXCEEDED'
  /** A subscription's `afterSeq` is further back than can be replayed: reload, then resubscribe. */
  | 'REPLAY_UNAVAILABLE'
  /** startRun with multitaskStrategy REJECT while the thread has an active run. */
  | 'THREAD_BUSY'
  | 'INTERNAL';

export function clientError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}
