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
  | 'INTERNAL';

export function clientError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extra } });
}
