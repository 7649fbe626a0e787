import type { ErrorCode } from './error-codes.js';

/**
 * Expected outcomes of domain operations (as opposed to bugs or infrastructure failures).
 * Each carries the client-facing code it maps to; the error masking in the server turns them
 * into GraphQL errors and masks everything else as INTERNAL.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** A value that should be an ID of a given kind is not one, in any accepted format. */
export class InvalidIdError extends DomainError {
  readonly code = 'INVALID_ID' as const;
}

/** Absent, or owned by someone else: the two are deliberately indistinguishable. */
export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}

/** Input that is well-formed GraphQL but breaks a rule (sizes, transitions, pairings). */
export class InvalidInputError extends DomainError {
  readonly code = 'BAD_USER_INPUT' as const;
}

/** The thread has an active run and the caller asked not to start another beside it. */
export class ThreadBusyError extends DomainError {
  readonly code = 'THREAD_BUSY' as const;
}

/** The request carries no valid credentials. */
export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED' as const;
}
