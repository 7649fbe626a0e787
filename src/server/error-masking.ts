import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { DomainError } from '../errors/domain-errors.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { isUnstorableTextError, UNSTORABLE_TEXT_MESSAGE } from '../errors/unstorable-text.js';
import { referencesDeletedThread } from '../storage/postgres-errors.js';

const MASKED_MESSAGE = 'Unexpected error.';

/**
 * Known causes become client errors with a code from the closed union; anything else (bugs,
 * database failures) is logged with its stack and reaches the client only as INTERNAL.
 */
export function createErrorMasker(log: Logger) {
  return (error: unknown): Error => {
    if (!(error instanceof GraphQLError)) return internal(log, error);
    const cause = error.originalError;
    // `?.`: graphql-jit's errors (compiled-queries.ts) may have no extensions at all.
    if (!cause || cause === error) return error.extensions?.code ? error : withCode(error, 'BAD_USER_INPUT', error.message);
    if (cause instanceof GraphQLError && cause.extensions?.code) return withCode(error, cause.extensions.code as ErrorCode, cause.message, cause.extensions);
    if (cause instanceof DomainError) return withCode(error, cause.code, cause.message);
    if (cause instanceof PothosValidationError || cause.name === 'ZodError') return withCode(error, 'BAD_USER_INPUT', cause.message);
    if (isUnstorableTextError(cause)) return withCode(error, 'BAD_USER_INPUT', UNSTORABLE_TEXT_MESSAGE);
    if (referencesDeletedThread(cause)) return withCode(error, 'NOT_FOUND', 'The thread was deleted while this request ran');
    return internal(log, cause, error);
  };
}

function withCode(error: GraphQLError, code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...extensions, code },
  });
}

function internal(log: Logger, cause: unknown, error?: GraphQLError): GraphQLError {
  log.error({ err: cause, path: error?.path }, 'unexpected error in GraphQL operation');
  return new GraphQLError(MASKED_MESSAGE, {
    nodes: error?.nodes,
    path: error?.path,
    extensions: { code: 'INTERNAL' satisfies ErrorCode },
  });
}
