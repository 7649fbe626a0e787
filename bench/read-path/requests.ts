import type { GraphqlRequest } from '../shared/graphql-load-protocol.js';
import type { BenchUser } from './seed-data.js';

const MESSAGE_FIELDS = 'id seq role content createdAt runId status durability metadata';

/** Issue 9's threads page: 20 threads, each with its newest 10 messages and 5 runs. */
export const THREADS_PAGE_QUERY = `{ threads(first: 20) { edges { cursor node { id title status createdAt updatedAt messageCount messages(last: 10) { edges { cursor node { ${MESSAGE_FIELDS} } } pageInfo { hasPreviousPage startCursor } } runs(first: 5) { edges { cursor node { id status createdAt startedAt completedAt } } } } } pageInfo { hasNextPage endCursor } } }`;

/** Issue 9's thread page: one thread with its newest 30 messages. */
export const THREAD_PAGE_QUERY = `query ThreadPage($id: ID!) { thread(id: $id) { id title messages(last: 30) { edges { cursor node { ${MESSAGE_FIELDS} } } pageInfo { hasPreviousPage startCursor } } } }`;

/** What any authenticated GraphQL request costs: auth, parse, validate, execute one field. */
export const VIEWER_QUERY = '{ viewer { id } }';

/** One measured request: what the load client sends, round robin, to either server. */
export interface BenchCase {
  name: string;
  /** hot: served from the Redis windows; cold: the threads' hot state removed, served from Postgres. */
  tier: 'hot' | 'cold' | 'none';
  requests: GraphqlRequest[];
}

/** The five cases: both pages on hot and on cold threads, and the trivial query. */
export function benchCases(users: { hot: BenchUser; cold: BenchUser }): BenchCase[] {
  const threadsPage = (user: BenchUser) => [{ body: JSON.stringify({ query: THREADS_PAGE_QUERY }), token: user.token }];
  const threadPages = (user: BenchUser) =>
    user.threadIds.map((id) => ({ body: JSON.stringify({ query: THREAD_PAGE_QUERY, variables: { id } }), token: user.token }));
  return [
    { name: 'threads page (hot)', tier: 'hot', requests: threadsPage(users.hot) },
    { name: 'threads page (cold)', tier: 'cold', requests: threadsPage(users.cold) },
    { name: 'thread page (hot)', tier: 'hot', requests: threadPages(users.hot) },
    { name: 'thread page (cold)', tier: 'cold', requests: threadPages(users.cold) },
    { name: 'viewer { id }', tier: 'none', requests: [{ body: JSON.stringify({ query: VIEWER_QUERY }), token: users.hot.token }] },
  ];
}
