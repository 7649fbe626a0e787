import { getOperationAST, getVariableValues, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../errors/error-codes.js';

/**
 * Variable values that do not coerce to their declared types (`"abc"` or `1e12` for an `Int`,
 * `"ADMIN"` for a `MessageRole`) are the client's mistake: the spec answers them as request
 * errors before anything executes. graphql-js makes those errors from the scalar's own
 * GraphQLError, which carries no code, so the masker could not tell them from a bug and answered
 * INTERNAL. Here they get code BAD_USER_INPUT with the spec's messages, and nothing runs, over
 * HTTP and graphql-ws alike.
 *
 * A mutation runs on graphql-js's executor, which coerces the variables before it runs anything
 * and answers a failure without `data`: its errors are given the code afterwards, so the
 * variables of the write path are coerced once, not twice (for a five-part message that second
 * pass was a tenth of the request's CPU). Queries may run compiled (compiled-queries.ts), whose
 * coercion words its errors otherwise, and subscriptions on their own subscribe function: those
 * are checked first, with graphql-js's own coercion.
 */
export function useVariableValues(): Plugin {
  const refuse = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (result: ExecutionResult) => void }) => {
    const errors = coercionErrors(args);
    if (errors.length > 0) setResultAndStopExecution({ errors });
  };
  return {
    onExecute(payload) {
      if (getOperationAST(payload.args.document, payload.args.operationName)?.operation !== 'mutation') return refuse(payload);
      return {
        onExecuteDone: ({ result, setResult }) => {
          if (!('errors' in result) || 'data' in result || !result.errors?.length) return;
          setResult({ ...result, errors: result.errors.map(asClientError) });
        },
      };
    },
    onSubscribe: refuse,
  };
}

function coercionErrors(args: ExecutionArgs): GraphQLError[] {
  // No single operation to run: execution reports that itself.
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation?.variableDefinitions?.length) return [];
  const { errors } = getVariableValues(args.schema, operation.variableDefinitions, args.variableValues ?? {}, { maxErrors: 10 });
  return (errors ?? []).map(asClientError);
}

/** A request error (nothing ran) as the client's mistake, unless it already has its code. */
function asClientError(error: GraphQLError): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode } });
}
