import { getOperationAST, getVariableValues, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../errors/error-codes.js';

/**
 * Variable values that do not coerce to their declared types (`"abc"` or `1e12` for an `Int`,
 * `"ADMIN"` for a `MessageRole`) are the client's mistake: the spec answers them as request
 * errors before anything executes. graphql-js makes those errors from the scalar's own
 * GraphQLError, which carries no code, so the masker could not tell them from a bug and answered
 * INTERNAL. Checked here first, before any other execution hook, over HTTP and graphql-ws alike:
 * the spec's messages with code BAD_USER_INPUT, and nothing runs.
 */
export function useVariableValues(): Plugin {
  const refuse = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (result: ExecutionResult) => void }) => {
    const errors = coercionErrors(args);
    if (errors.length > 0) setResultAndStopExecution({ errors });
  };
  return { onExecute: refuse, onSubscribe: refuse };
}

function coercionErrors(args: ExecutionArgs): GraphQLError[] {
  // No single operation to run: execution reports that itself.
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation?.variableDefinitions?.length) return [];
  const { errors } = getVariableValues(args.schema, operation.variableDefinitions, args.variableValues ?? {}, { maxErrors: 10 });
  return (errors ?? []).map(
    (error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode } }),
  );
}
