import { GraphQLError, Kind, visit, type DocumentNode, type ExecutionArgs, type ExecutionResult, type StringValueNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { findUnstorableText, isStorableText, UNSTORABLE_TEXT_RULE } from '../domain/storable-text.js';
import type { ErrorCode } from '../errors/error-codes.js';

/**
 * Refuses an operation that carries text no tier can store (domain/storable-text.ts), before any
 * resolver runs: every string of every variable (JSON keys included) and every string literal of
 * the document. One check at the edge for every field there is or will be, over HTTP and
 * graphql-ws alike, so nothing that Postgres would refuse later can be acknowledged by Redis first.
 * (The GraphQL parser already refuses lone surrogates in literals; a `\u0000` escape gets through it.)
 */
export function useStorableInput(): Plugin {
  // Yoga reuses the parsed document of a repeated query: its literals are checked once.
  const literalProblems = new WeakMap<DocumentNode, GraphQLError | null>();

  function problemOf(args: ExecutionArgs): GraphQLError | null {
    let literal = literalProblems.get(args.document);
    if (literal === undefined) literalProblems.set(args.document, (literal = unstorableLiteral(args.document)));
    return literal ?? unstorableVariable(args.variableValues);
  }

  const refuse = ({ args, setResultAndStopExecution }: { args: ExecutionArgs; setResultAndStopExecution: (result: ExecutionResult) => void }) => {
    const problem = problemOf(args);
    if (problem) setResultAndStopExecution({ errors: [problem] });
  };
  return { onExecute: refuse, onSubscribe: refuse };
}

function unstorableVariable(variables: ExecutionArgs['variableValues']): GraphQLError | null {
  for (const [name, value] of Object.entries(variables ?? {})) {
    const path = findUnstorableText(value);
    if (path) {
      const at = path.length > 0 ? ` at ${JSON.stringify(path.join('.'))}` : '';
      return refusal(`Variable "$${name}"${at}: ${UNSTORABLE_TEXT_RULE}`, { variable: name, path });
    }
  }
  return null;
}

function unstorableLiteral(document: DocumentNode): GraphQLError | null {
  let found: StringValueNode | undefined;
  visit(document, {
    [Kind.STRING](node) {
      if (!found && !isStorableText(node.value)) found = node;
    },
  });
  return found ? refusal(`String literal: ${UNSTORABLE_TEXT_RULE}`, {}, found) : null;
}

function refusal(message: string, details: Record<string, unknown>, node?: StringValueNode): GraphQLError {
  return new GraphQLError(message, { nodes: node, extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode, ...details } });
}
