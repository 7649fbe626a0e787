import { GraphQLError, locatedError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createErrorMasker } from '../../../src/server/error-masking.js';
import { captureLog } from '../../support/captured-log.js';

// README: INTERNAL's message is always "Unexpected error."; the cause is logged, never sent.
const SECRET = 'duplicate key value violates unique constraint "messages_pkey" at 10.0.0.7';

function maskerWithLog() {
  const captured = captureLog('info');
  return { mask: createErrorMasker(captured.log), lines: captured.lines };
}

describe('error masking', () => {
  it('an unexpected resolver error reaches the client as INTERNAL with nothing of its cause', () => {
    const { mask, lines } = maskerWithLog();
    const masked = mask(locatedError(new Error(SECRET), undefined, ['sendMessage'])) as GraphQLError;
    const sent = JSON.stringify(masked.toJSON());
    expect(masked.message).toBe('Unexpected error.');
    expect(masked.extensions).toEqual({ code: 'INTERNAL' });
    expect(masked.path).toEqual(['sendMessage']);
    expect(sent).not.toContain('duplicate key');
    expect(sent).not.toContain('10.0.0.7');
    expect(lines.map(({ level, err }) => [level, (err as { message: string }).message])).toEqual([[50, SECRET]]);
  });

  it('a thrown non-GraphQL value is masked the same way', () => {
    const { mask, lines } = maskerWithLog();
    const masked = mask(new TypeError(SECRET)) as GraphQLError;
    expect(masked.message).toBe('Unexpected error.');
    expect(JSON.stringify(masked.toJSON())).not.toContain('messages_pkey');
    expect(lines.map(({ level, err }) => [level, (err as { message: string }).message])).toEqual([[50, SECRET]]);
  });

  // graphql-jit's errors (compiled queries) are GraphQLErrors without nodes or extensions;
  // graphql-jit's error.js builds them like this (their nodes are found again in compiled-error-nodes.ts).
  function jitError(message: string, originalError?: Error): GraphQLError {
    const error = Object.create(GraphQLError.prototype) as GraphQLError;
    Object.defineProperties(error, {
      message: { value: message, enumerable: true },
      locations: { value: [{ line: 3, column: 7 }], enumerable: true },
      path: { value: ['bad'], enumerable: true },
      originalError: { value: originalError },
      extensions: { value: undefined },
    });
    return error;
  }

  it('an error graphql-jit made gets its code, never a TypeError', () => {
    const { mask, lines } = maskerWithLog();
    const refused = mask(jitError('Variable "$id" of required type "ID!" was not provided.')) as GraphQLError;
    expect(refused.toJSON()).toEqual({
      message: 'Variable "$id" of required type "ID!" was not provided.',
      path: ['bad'], extensions: { code: 'BAD_USER_INPUT' },
    });
    const failed = mask(jitError(SECRET, new Error(SECRET))) as GraphQLError;
    expect(failed.toJSON()).toEqual({ message: 'Unexpected error.', path: ['bad'], extensions: { code: 'INTERNAL' } });
    expect(lines.map(({ level }) => level)).toEqual([50]);
  });
});
