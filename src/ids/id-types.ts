/**
 * Branded ID types: at runtime they are plain strings, but the compiler refuses a raw string
 * where one is expected, so the only way to obtain one is through the generators or parsers
 * of this module. That is what keeps a second, incompatible ID format from creeping back in.
 */
declare const brand: unique symbol;
type Branded<T extends string> = string & { readonly [brand]: T };

export type ThreadId = Branded<'ThreadId'>;
export type RunId = Branded<'RunId'>;
export type MessageId = Branded<'MessageId'>;
export type RequestId = Branded<'RequestId'>;
export type ConnectionId = Branded<'ConnectionId'>;

/** The kinds of entity that are GraphQL nodes; a node ID's kind decides its GraphQL type. */
export type NodeKind = 'thread' | 'run' | 'message';

export type NodeId =
  | { kind: 'thread'; id: ThreadId }
  | { kind: 'run'; id: RunId }
  | { kind: 'message'; id: MessageId };
