import { createYoga } from 'graphql-yoga';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { verifyBearerToken, type TokenKeys } from '../context/bearer-token.js';
import { createExecutionContext, type ContextSeed, type ExecutionContext, type RequestLimits } from '../context/execution-context.js';
import type { Database } from '../db/database.js';
import { UnauthenticatedError } from '../errors/domain-errors.js';
import { schema } from '../schema/index.js';
import type { MessageStore } from '../storage/message-store.js';
import type { Eraser } from '../erasure/eraser.js';
import type { ArchiveQueries } from '../archive/analytics-queries.js';
import { useCompiledQueries } from './compiled-queries.js';
import { graphiqlOf, type PlaygroundOptions } from './graphiql.js';
import { useGraphqlJsMutations } from './graphql-js-mutations.js';
import { createErrorMasker } from './error-masking.js';
import { useImmediateWritesAlone } from './immediate-writes-alone.js';
import { useQueryCost } from './query-cost.js';
import { useQueryLimits } from './query-limits.js';
import { maxOperationBytes, useRequestBodyLimit } from './request-body-limit.js';
import { useSharedSubscriptionResults } from './shared-subscription-results.js';
import { useStorableInput } from './storable-input.js';
import { useUnitOfWork } from './unit-of-work-plugin.js';
import { useVariableValues } from './variable-values.js';

export interface GraphqlHandlerDeps {
  db: Kysely<Database>;
  log: Logger;
  tokenKeys: TokenKeys;
  limits: RequestLimits;
  messageStore: MessageStore;
  archive: ArchiveQueries;
  eraser: Eraser;
  playground: PlaygroundOptions;
}

/** Resolves the caller from a Bearer header: a user (and who acts for them), or the reason there is none. */
export async function authenticate(authorization: string | null | undefined, keys: TokenKeys): Promise<ContextSeed['auth']> {
  try {
    return await verifyBearerToken(authorization, keys);
  } catch (error) {
    if (error instanceof UnauthenticatedError) return { failure: error.message };
    throw error;
  }
}

/**
 * One of yoga's log methods as a pino level. Yoga calls `debug` for every request, so its
 * arguments are only turned into text when that level is on.
 */
function yogaLogTo(log: Logger, level: 'debug' | 'info' | 'warn') {
  return (...args: unknown[]) => {
    if (log.isLevelEnabled(level)) log[level](args.map(String).join(' '));
  };
}

/** A graphql-ws operation arrives with its execution context already made, per connection (websocket-server.ts). */
function isMadeAtSocket(initial: object): initial is ExecutionContext {
  return 'uow' in initial;
}

/** graphql-yoga over HTTP, with one execution context per request created here, at the edge. */
export function createGraphqlHandler(deps: GraphqlHandlerDeps) {
  return createYoga<Record<string, unknown>, ExecutionContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    ...graphiqlOf(deps.playground),
    maskedErrors: { maskError: createErrorMasker(deps.log), isDev: false },
    logging: {
      debug: yogaLogTo(deps.log, 'debug'),
      info: yogaLogTo(deps.log, 'info'),
      warn: yogaLogTo(deps.log, 'warn'),
      // Yoga logs every client error here; real failures are logged with their stack by the error masker.
      error: yogaLogTo(deps.log, 'debug'),
    },
    // Counted by useRequestBodyLimit instead, without a stream per request.
    maxRequestBodySize: false,
    // In this order: a plugin that refuses ends the hooks after it, so the cost is only computed
    // for variables that coerce and text that can be stored.
    plugins: [
      useQueryLimits(), useImmediateWritesAlone(), useVariableValues(), useStorableInput(), useQueryCost(),
      ...useCompiledQueries(), useGraphqlJsMutations(), useUnitOfWork(), useSharedSubscriptionResults(),
      // Last, as yoga places its own: it bounds whichever request parser the plugins above chose.
      useRequestBodyLimit(maxOperationBytes(deps.limits.maxMessageBytes)),
    ],
    context: async (initial) =>
      isMadeAtSocket(initial)
        ? initial
        : createExecutionContext({
            db: deps.db,
            log: deps.log,
            limits: deps.limits,
            messageStore: deps.messageStore,
            archive: deps.archive,
            eraser: deps.eraser,
            auth: await authenticate(initial.request.headers.get('authorization'), deps.tokenKeys),
          }),
  });
}
