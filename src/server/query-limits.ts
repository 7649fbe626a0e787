import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationContext } from 'graphql';
import type { ErrorCode } from '../errors/error-codes.js';

/** Limits on the shape of an operation. Connection sizes (`first`/`last` ≤ 100) are checked per field. */
export const QUERY_LIMITS = {
  maxDepth: 12,
  maxAliases: 20,
  maxTokens: 3_000,
  maxDirectives: 20,
  // The cost (query-cost.ts) bounds the fields an answer can hold, page sizes read from literals
  // and variables alike. examples/operations/threads-page.graphql with 20 threads × (20 messages
  // + 10 runs) costs 7,541 and one thread with its last 100 messages ~1,900; 100 threads × 100
  // messages costs ~30,000 (10,000 messages) and nesting 100 × 100 × 100 millions.
  maxCost: 20_000,
} as const;

/** Reports a refused operation as one clear error with code QUERY_TOO_COMPLEX. */
function reject(ctx: ValidationContext | null, error: GraphQLError): void {
  const refused = new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
    extensions: { code: 'QUERY_TOO_COMPLEX' satisfies ErrorCode },
  });
  if (ctx) ctx.reportError(refused);
  else throw refused;
}

export function useQueryLimits() {
  const common = { onReject: [reject], propagateOnRejection: false, exposeLimits: true };
  return EnvelopArmorPlugin({
    maxDepth: { n: QUERY_LIMITS.maxDepth, ignoreIntrospection: true, ...common },
    maxAliases: { n: QUERY_LIMITS.maxAliases, ...common },
    maxTokens: { n: QUERY_LIMITS.maxTokens, ...common },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives, ...common },
    // The cost is checked at execution, where variables are known: query-cost.ts.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  });
}
