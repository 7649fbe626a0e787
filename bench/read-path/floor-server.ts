import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kind, type FieldNode, type GraphQLResolveInfo } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import pg from 'pg';
import { verifyBearerToken } from '../../src/context/bearer-token.js';
import { BENCH_JWT_SECRET } from '../shared/bench-server.js';

// The same keys a Threadline bench server verifies with: its HS256 secret.
const BENCH_TOKEN_KEYS = { secret: BENCH_JWT_SECRET, jwks: null };
import { THREAD_PAGE_SQL, THREADS_PAGE_SQL } from './floor-sql.js';

/**
 * The floor's schema: the types and fields of Threadline that the bench selects, with the same
 * names, so one query text runs on both servers. Nested fields have no resolvers: the SQL
 * already built each page's JSON, and graphql-js's default resolvers read it.
 */
const FLOOR_SCHEMA = /* GraphQL */ `
  scalar DateTime
  scalar JSON
  enum ThreadStatus { ACTIVE ARCHIVED }
  enum MessageRole { USER ASSISTANT SYSTEM TOOL }
  enum MessageStatus { IN_PROGRESS COMPLETED }
  enum Durability { HOT DURABLE ARCHIVED }
  enum RunStatus { QUEUED IN_PROGRESS REQUIRES_ACTION COMPLETED FAILED CANCELLED }
  type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
  type Message { id: ID! seq: Int! role: MessageRole! content: String! createdAt: DateTime! runId: ID status: MessageStatus! durability: Durability! metadata: JSON! }
  type MessageEdge { cursor: String! node: Message! }
  type MessageConnection { edges: [MessageEdge!]! pageInfo: PageInfo! }
  type Run { id: ID! status: RunStatus! createdAt: DateTime! startedAt: DateTime completedAt: DateTime }
  type RunEdge { cursor: String! node: Run! }
  type RunConnection { edges: [RunEdge!]! pageInfo: PageInfo! }
  type Thread {
    id: ID! title: String status: ThreadStatus! createdAt: DateTime! updatedAt: DateTime! messageCount: Int!
    messages(last: Int): MessageConnection!
    runs(first: Int): RunConnection!
  }
  type ThreadEdge { cursor: String! node: Thread! }
  type ThreadConnection { edges: [ThreadEdge!]! pageInfo: PageInfo! }
  type Viewer { id: ID! }
  type Query { viewer: Viewer! threads(first: Int): ThreadConnection! thread(id: ID!): Thread }
`;

/**
 * A nested connection's page size, read off the query at the root, as a compiling server looks
 * ahead: `path` names the fields from the root field down. Literal arguments only (the bench's).
 */
function nestedLimit(info: GraphQLResolveInfo, path: string[], argument: string, fallback: number): number {
  let field: FieldNode | undefined = info.fieldNodes[0];
  for (const name of path) {
    field = field?.selectionSet?.selections.find((selection): selection is FieldNode => selection.kind === Kind.FIELD && selection.name.value === name);
  }
  const value = field?.arguments?.find((arg) => arg.name.value === argument)?.value;
  return value?.kind === Kind.INT ? Number(value.value) : fallback;
}

interface FloorContext {
  userId: string;
}

export interface FloorServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * The floor: a bare graphql-yoga on its own port, in this process, whose resolvers answer each
 * page with one SQL statement through a `pg` pool. Auth is Threadline's own (verifyBearerToken:
 * jose, HS256, the same cache of verified tokens), so both servers pay for it.
 */
export async function startFloorServer(databaseUrl: string): Promise<FloorServer> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const schema = createSchema<FloorContext>({
    typeDefs: FLOOR_SCHEMA,
    resolvers: {
      Query: {
        viewer: (_root, _args, ctx) => ({ id: ctx.userId }),
        threads: async (_root, args: { first?: number }, ctx, info) => {
          const messagesLast = nestedLimit(info, ['edges', 'node', 'messages'], 'last', 10);
          const runsFirst = nestedLimit(info, ['edges', 'node', 'runs'], 'first', 5);
          const { rows } = await pool.query(THREADS_PAGE_SQL, [ctx.userId, args.first ?? 20, messagesLast, runsFirst]);
          return rows[0].connection;
        },
        thread: async (_root, args: { id: string }, ctx, info) => {
          const { rows } = await pool.query(THREAD_PAGE_SQL, [ctx.userId, args.id, nestedLimit(info, ['messages'], 'last', 30)]);
          return rows[0]?.thread ?? null;
        },
      },
    },
  });
  const yoga = createYoga({
    schema,
    logging: false,
    context: async ({ request }) => ({ userId: (await verifyBearerToken(request.headers.get('authorization'), BENCH_TOKEN_KEYS)).userId }),
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
  };
}
