import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import { unauthenticated, type AuthenticatedContext, type ExecutionContext } from '../context/execution-context.js';
import { parseNodeId } from '../ids/parse-ids.js';

const TYPE_OF_KIND = { thread: 'Thread', run: 'Run', message: 'Message' } as const;

/** Registers the plugins and root types; every type lives in its own file under types/. */
export const builder = new SchemaBuilder<{
  Context: ExecutionContext;
  AuthScopes: { authenticated: boolean };
  AuthContexts: { authenticated: AuthenticatedContext };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    SafeInt: { Input: number; Output: number };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin, ValidationPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({ authenticated: ctx.userId !== null }),
    unauthorizedError: (_parent, ctx) => unauthenticated(ctx),
  },
  relay: {
    // A node's GraphQL ID is its canonical ID itself; the ID's shape tells its type.
    encodeGlobalID: (_typename, id) => String(id),
    decodeGlobalID: (globalId) => {
      const node = parseNodeId(globalId);
      return { typename: TYPE_OF_KIND[node.kind], id: node.id };
    },
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: { authScopes: { authenticated: true } },
    nodesQueryOptions: false,
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
