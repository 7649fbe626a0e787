import { useGraphQlJit } from '@envelop/graphql-jit';
import { Kind, type ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { asGraphqlJsFieldError } from './compiled-error-nodes.js';
import { compilesInFieldOrder } from './compiled-field-order.js';
import { readsScalarLiteralsAlike } from './compiled-scalar-literals.js';

/**
 * Queries run compiled by graphql-jit: each document is compiled once into a function that
 * resolves and completes its fields without graphql-js's per-field interpretation (argument
 * coercion, type checks, the null-prototype result objects it builds and JSON.stringify then
 * walks slowly), which was most of a page's CPU (bench/read-path). Compiled queries are cached
 * per parsed document, so they live as long as yoga's document cache keeps the document.
 *
 * Only where the answer is graphql-js's own, byte for byte; everything else keeps graphql-js:
 * - mutations and subscriptions: they resolve few fields, and their ordering and streaming
 *   semantics are where a second executor could differ;
 * - documents with more than one operation: the plugin caches one compiled operation per
 *   document whatever `operationName` asks for, so it would run the wrong one;
 * - documents whose fragments graphql-jit would answer in another field order (compiled-field-order.ts);
 * - documents with a JSON literal, which graphql-jit would read without its variables (compiled-scalar-literals.ts).
 */
export function useCompiledQueries() {
  const jit = useGraphQlJit(
    // Not customJSONSerializer: its compiled stringifier knows no custom scalars (DateTime, JSON).
    {},
    {
      enableIf: (args: ExecutionArgs) => isCompilable(args),
      // A document that does not compile answers its errors like any other; nothing to log.
      onError: () => {},
    },
  );
  return [jit, useGraphqlJsErrors()] as const;
}

function isCompilable({ schema, document }: ExecutionArgs): boolean {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  return operations.length === 1 && operations[0]?.operation === 'query' && compilesInFieldOrder(document) && readsScalarLiteralsAlike(schema, document);
}

/**
 * Errors as graphql-js gives them: first in the answer (graphql-jit answers `{ data, errors }`;
 * the spec advises errors first), each with its field's nodes (compiled-error-nodes.ts).
 */
function useGraphqlJsErrors(): Plugin {
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result, setResult }) => {
        if (!('errors' in result) || !result.errors?.length) return;
        const { errors, ...rest } = result;
        setResult({ errors: errors.map((error) => asGraphqlJsFieldError(error, args.document, args.operationName)), ...rest });
      },
    }),
  };
}
