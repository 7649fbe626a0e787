import { GraphQLError, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { asGraphqlJsFieldError } from '../../../src/server/compiled-error-nodes.js';

// graphql-jit names a field error's field by path only; graphql-js's error has its nodes (so
// locations survive yoga) and an original error (so a server fault is masked as INTERNAL).
describe('asGraphqlJsFieldError', () => {
  const document = parse(`query Page {
  viewer { id }
  list: threads { edges { node { ...T } } }
}
fragment T on Thread { ... on Thread { late: title } }`);

  const jitError = (path: Array<string | number>) => new GraphQLError('Cannot return null for non-nullable field Thread.title.', { path });

  it('finds the field through an alias, list indexes, a spread and an inline fragment', () => {
    const error = asGraphqlJsFieldError(jitError(['list', 'edges', 3, 'node', 'late']), document, 'Page');
    expect(error.locations).toEqual([{ line: 5, column: 40 }]);
    expect(error.path).toEqual(['list', 'edges', 3, 'node', 'late']);
  });

  it('an error graphql-jit raised itself gets an original error, as graphql-js wraps one', () => {
    const error = asGraphqlJsFieldError(jitError(['viewer', 'id']), document, undefined);
    expect(error.originalError?.message).toBe('Cannot return null for non-nullable field Thread.title.');
    expect(error.locations).toEqual([{ line: 2, column: 12 }]);
  });

  it('leaves errors that have nodes, or no path, as they are', () => {
    const located = new GraphQLError('x', { nodes: document.definitions[0]! as never, path: ['viewer'] });
    const unpathed = new GraphQLError('Variable "$id" was not provided.');
    expect(asGraphqlJsFieldError(located, document)).toBe(located);
    expect(asGraphqlJsFieldError(unpathed, document)).toBe(unpathed);
  });
});
