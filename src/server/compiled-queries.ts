import { useGraphQlJit } from '@envelop/graphql-jit';
import { getOperationAST, type ExecutionArgs } from 'graphql';

/**
 * Queries run compiled by graphql-jit: each document is compiled once into a function that
 * resolves and completes its fields without graphql-js's per-field interpretation (argument
 * coercion, type checks, the null-prototype result objects it builds and JSON.stringify then
 * walks slowly), which was most of a page's CPU (bench/read-path). Compiled queries are cached
 * per parsed document, so they live as long as yoga's document cache keeps the document.
 * Mutations and subscriptions keep graphql-js's executor: they resolve few fields, and their
 * ordering and streaming semantics are where a second executor could differ.
 */
export function useCompiledQueries() {
  return useGraphQlJit(
    // Not customJSONSerializer: its compiled stringifier knows no custom scalars (DateTime, JSON).
    {},
    {
      enableIf: (args: ExecutionArgs) => getOperationAST(args.document, args.operationName)?.operation === 'query',
      // A document that does not compile answers its errors like any other; nothing to log.
      onError: () => {},
    },
  );
}
