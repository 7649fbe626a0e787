import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { GraphQLError, type ValidationContext } from 'graphql';
import type { ErrorCode } from '../errors/error-codes.js';

/** Limits on the shape of an operation. Connection sizes (`first`/`last` ≤ 100) are checked per field. */
export const QUERY_LIMITS = {
  maxDepth: 12,
  maxAliases: 20,
  maxTokens: 3_000,
  maxDirectives: 20,
  // graphql-armor's estimate multiplies a connection's subtree by a literal first/last: the page
  // of 20 threads × (5 messages + 3 runs) that issue 2 names costs ~7,100 and one thread with
  // its last 100 messages ~6,900, so armor's default 5,000 refused both. 100,000 admits a list
  // view of 20 threads × (20 messages + 10 runs) (~63,000) and refuses nesting 100 × 100 (~435,000).
  maxCost: 100_000,
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
    costLimit: { maxCost: QUERY_LIMITS.maxCost, ...common },
    blockFieldSuggestion: { enabled: false },
  });
}
