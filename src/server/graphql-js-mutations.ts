import { execute, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Mutations run on graphql-js's own `execute` rather than yoga's executor from graphql-tools.
 * That one first copies every variable value into a null-prototype snapshot, input object by
 * input object, then coerces the copy as graphql-js does: for a five-part message the copy was a
 * third of the variables' cost. A mutation resolves a field or two and needs none of what that
 * executor adds (`@defer`, `@stream`); the answer, its errors included, is graphql-js's either
 * way, as that executor is a port of it. Queries keep theirs or run compiled (compiled-queries.ts).
 */
export function useGraphqlJsMutations(): Plugin {
  return {
    onExecute({ args, setExecuteFn }) {
      if (getOperationAST(args.document, args.operationName)?.operation === 'mutation') setExecuteFn(execute);
    },
  };
}
