import { setTimeout as pause } from 'node:timers/promises';
import type { LogEvent } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectData } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

const PAGE_QUERY = `{
  threads(first: 20) { edges { node {
    id
    messages(last: 5) { edges { node { id } } }
    runs(first: 3) { edges { node { id } } }
  } } }
}`;

interface Seeded {
  threadIds: string[];
  /** Per thread, the IDs the query should return: the 5 newest messages (oldest first) and the 3 newest runs. */
  expected: Map<string, { messages: string[]; runs: string[] }>;
}

interface Page {
  threads: { edges: Array<{ node: { id: string; messages: { edges: Array<{ node: { id: string } }> }; runs: { edges: Array<{ node: { id: string } }> } } }> };
}

describe('SQL statements per threads page', () => {
  let app: TestApp;
  /**
   * Every statement this app's pool runs. Its in-process workers are off: the persister shares a
   * consumer group with the other test files' apps and would count their messages' inserts here.
   */
  const statements: string[] = [];
  beforeAll(async () => {
    app = await startTestApp({ onQuery: (event: LogEvent) => void statements.push(event.query.sql), env: { RUN_WORKERS_IN_PROCESS: 'false' } });
  });
  afterAll(() => app.stop());

  /** Threads of varying sizes (7 messages and 4 runs, or fewer), so "newest n" is a real cut. */
  async function seedThreads(owner: string, count: number): Promise<Seeded> {
    const expected: Seeded['expected'] = new Map();
    const threadIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const thread = await seed(app.db).thread(owner, { title: `t${i}` });
      const messages = await seed(app.db).messages(thread.id, Array.from({ length: 2 + (i % 6) }, (_, n) => `t${i} m${n}`));
      const runs = [];
      for (let r = 0; r < 1 + (i % 4); r++) {
        runs.push(await seed(app.db).run(thread.id, { r }));
        await pause(2); // runs are ordered by creation time: keep their timestamps apart
      }
      threadIds.unshift(thread.id);
      expected.set(thread.id, { messages: messages.slice(-5).map((m) => m.id), runs: runs.map((r) => r.id).reverse().slice(0, 3) });
    }
    // Each thread's last message bumped it; the newest activity comes first.
    return { threadIds, expected };
  }

  async function countStatements(owner: string): Promise<{ count: number; data: Page; sql: string[] }> {
    statements.length = 0;
    const data = expectData<Page>(await app.gql(owner, PAGE_QUERY));
    const sql = [...statements];
    return { count: sql.length, data, sql };
  }

  function expectPage(data: Page, seeded: Seeded): void {
    expect(data.threads.edges.map((edge) => edge.node.id)).toEqual(seeded.threadIds);
    for (const { node } of data.threads.edges) {
      const want = seeded.expected.get(node.id)!;
      expect(node.messages.edges.map((edge) => edge.node.id), `messages of ${node.id}`).toEqual(want.messages);
      expect(node.runs.edges.map((edge) => edge.node.id), `runs of ${node.id}`).toEqual(want.runs);
    }
  }

  it('costs the same few statements for 2 threads as for 20, and returns the right rows', async () => {
    const small = newUserId('two');
    const large = newUserId('twenty');
    const seededSmall = await seedThreads(small, 2);
    const seededLarge = await seedThreads(large, 20);

    const two = await countStatements(small);
    expectPage(two.data, seededSmall);
    const twenty = await countStatements(large);
    expectPage(twenty.data, seededLarge);

    expect(two.count, two.sql.join('\n')).toBeLessThanOrEqual(4);
    expect(twenty.count, twenty.sql.join('\n')).toBe(two.count);
    // Sanity: the page really carried 20 threads, 5 messages and 3 runs where there were that many.
    expect(twenty.data.threads.edges).toHaveLength(20);
    expect(twenty.data.threads.edges.some(({ node }) => node.messages.edges.length === 5 && node.runs.edges.length === 3)).toBe(true);
  });

  it('costs no more for a user with no threads', async () => {
    const { count, data } = await countStatements(newUserId('none'));
    expect(data).toEqual({ threads: { edges: [] } });
    expect(count).toBe(1);
  });
});
