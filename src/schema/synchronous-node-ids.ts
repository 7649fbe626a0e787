import { isObjectType, type GraphQLSchema } from 'graphql';

/**
 * Pothos's relay plugin resolves every node's `id` through an `async` function, so any
 * selection containing an `id` completes asynchronously: a promise per node in every page, and
 * no synchronous result for a subscription event to share as one pre-rendered frame
 * (realtime/socket-frames.ts). Here a node's global ID is its canonical ID itself
 * (builder.ts: encodeGlobalID is the identity), so the field can simply read it.
 */
export function resolveNodeIdsSynchronously(schema: GraphQLSchema): GraphQLSchema {
  const node = schema.getType('Node');
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || !type.getInterfaces().some((implemented) => implemented === node)) continue;
    type.getFields().id!.resolve = (parent: { id: string }) => parent.id;
  }
  return schema;
}
