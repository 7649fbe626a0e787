import {
  getNullableType, getOperationAST, GraphQLError, isListType,
  type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLField,
} from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Plugin } from 'graphql-yoga';
import type { ErrorCode } from '../errors/error-codes.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../schema/pagination/resolve-page.js';
import { QUERY_LIMITS } from './query-limits.js';

/** Costs remembered per document, at most. */
const MAX_COSTS_PER_DOCUMENT = 64;

/**
 * The cost of an operation is an upper bound on the number of fields in its answer: every field
 * counts 1, and the selection under a field that returns many items counts as many times as it
 * can return them. A codegen'd client passes page sizes as variables, so the sizes are read from
 * the variable values (and the variables' defaults), not only from literals.
 */
const estimateField: ComplexityEstimator = ({ field, args, childComplexity }) => 1 + timesListed(field, args) * childComplexity;

/**
 * How many items a field can return. A connection's page is `first`/`last`, 20 when omitted;
 * above 100 the resolver refuses it with its own message, so the bound here is 100. A list
 * asked for by IDs (`archiveThreads(ids:)`) holds at most that many, one bounded by `limit`
 * that many. Other lists (analytics days and statuses) are short and counted once.
 */
function timesListed(field: GraphQLField<unknown, unknown>, args: Record<string, unknown>): number {
  if (field.args.some((arg) => arg.name === 'first' || arg.name === 'last')) {
    const sizes = [args.first, args.last].filter((size): size is number => typeof size === 'number');
    const size = sizes.length > 0 ? Math.max(...sizes) : DEFAULT_PAGE_SIZE;
    return Math.min(Math.max(size, 0), MAX_PAGE_SIZE);
  }
  if (!isListType(getNullableType(field.type))) return 1;
  const ids = Object.values(args).find(Array.isArray);
  if (ids) return ids.length;
  return typeof args.limit === 'number' ? Math.max(args.limit, 0) : 1;
}

/** Variables that do not coerce: the operation cannot run, and execution says why (variable-values.ts). */
const UNCOERCIBLE = Symbol('variables that do not coerce');

/**
 * The operation's cost; undefined when the document names no single operation (execution reports
 * that itself), UNCOERCIBLE when its variables do not coerce (a mutation's are coerced only by
 * its execution: useVariableValues checks them beforehand for the other operations).
 */
function costOf(args: ExecutionArgs): number | undefined | typeof UNCOERCIBLE {
  if (!getOperationAST(args.document, args.operationName)) return undefined;
  const variables = args.variableValues ?? {};
  try {
    return getComplexity({
      schema: args.schema,
      query: args.document,
      operationName: args.operationName ?? undefined,
      variables,
      estimators: [estimateField],
    });
  } catch (error) {
    // getComplexity stops past 10,000 evaluated selections (fragments spread many times over):
    // such an operation costs more than any limit here. Anything else is a bug, masked and logged.
    if (error instanceof GraphQLError && /maximum allowed number of nodes/.test(error.message)) return Number.POSITIVE_INFINITY;
    if (error instanceof GraphQLError && /^Variable "\$/.test(error.message)) return UNCOERCIBLE;
    throw error;
  }
}

/**
 * What a variable's value can change about the cost, and nothing more: the cost reads numbers
 * (page sizes, `limit`), booleans (@include/@skip) and the length of a list given to a field; any
 * other value (a string, an input object, JSON) counts only by its kind. Never recursive, so a
 * deep JSON value (metadata nested 6,000 levels, refused later by its own limit) costs nothing
 * to key.
 */
function costShape(value: unknown): unknown {
  if (Array.isArray(value)) return { length: value.length };
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  return typeof value;
}

/** A key for what the cost depends on: the operation, and the cost shape of each variable given (or not, so its default applies). */
function costKey(args: ExecutionArgs): string {
  const values = args.variableValues ?? {};
  const variables = getOperationAST(args.document, args.operationName)?.variableDefinitions ?? [];
  const shapes = variables.map(({ variable: { name } }) => (Object.hasOwn(values, name.value) ? [costShape(values[name.value])] : []));
  return JSON.stringify([args.operationName ?? '', ...shapes]);
}

function tooCostly(cost: number): ExecutionResult {
  const { maxCost } = QUERY_LIMITS;
  const found = Number.isFinite(cost) ? `found ${cost}` : 'found more than 10,000 selections to count';
  const message = `Query cost limit of ${maxCost} exceeded, ${found} (each field counts 1; a connection's selection counts first/last times, ${DEFAULT_PAGE_SIZE} when omitted)`;
  const extensions = { code: 'QUERY_TOO_COMPLEX' satisfies ErrorCode, maxCost, ...(Number.isFinite(cost) && { cost }) };
  return { errors: [new GraphQLError(message, { extensions })] };
}

/**
 * Refuses an operation whose cost is over QUERY_LIMITS.maxCost, before it runs. At execution,
 * not validation: only then are the variables known (and yoga caches validation by document
 * text, so a rule reading variables would see the first request's). Both transports execute
 * through yoga's envelope, so one check covers HTTP and graphql-ws; on a socket the refusal
 * is that operation's result and the socket stays open.
 */
export function useQueryCost(): Plugin {
  // Costs are remembered per parsed document (yoga's document cache hands back the same object
  // for the same text), by the cost shape of its variables: a sendMessage with a new `$input`
  // each time costs the same every time, and is counted once.
  const costs = new WeakMap<DocumentNode, Map<string, number | undefined>>();
  const cachedCostOf = (args: ExecutionArgs) => {
    let known = costs.get(args.document);
    if (!known) costs.set(args.document, (known = new Map()));
    const key = costKey(args);
    if (!known.has(key)) {
      // Bounded: a client paging with ever new sizes does not grow it without end.
      if (known.size >= MAX_COSTS_PER_DOCUMENT) known.clear();
      const cost = costOf(args);
      // Never remembered: the next request of this shape may coerce, and must be counted.
      if (cost === UNCOERCIBLE) return undefined;
      known.set(key, cost);
    }
    return known.get(key);
  };
  const check = (args: ExecutionArgs, stop: (result: ExecutionResult) => void) => {
    const cost = cachedCostOf(args);
    if (cost !== undefined && cost > QUERY_LIMITS.maxCost) stop(tooCostly(cost));
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => check(args, setResultAndStopExecution),
    onSubscribe: ({ args, setResultAndStopExecution }) => check(args, setResultAndStopExecution),
  };
}
