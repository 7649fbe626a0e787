import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

// What the README's errors and limits tables promise and no other test showed: yoga's codes for
// documents that never run, /health, and the page size a connection uses when none is given.
describe('README protocol claims', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it('a document that does not parse is refused with GRAPHQL_PARSE_FAILED', async () => {
    expectError(await app.gql(newUserId(), '{ threads('), 'GRAPHQL_PARSE_FAILED');
  });

  it('a document that does not match the schema is refused with GRAPHQL_VALIDATION_FAILED', async () => {
    expectError(await app.gql(newUserId(), '{ noSuchField }'), 'GRAPHQL_VALIDATION_FAILED');
  });

  const post = (body: string) => fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it.each(['{"variables":{}}', '{"query": '])('a request that is not a GraphQL request is refused with BAD_REQUEST: %s', async (body) => {
    const response = await post(body);
    expect((await response.json()).errors).toMatchObject([{ extensions: { code: 'BAD_REQUEST' } }]);
  });

  it.each([{ operationName: 'C' }, {}])('an operationName the document does not define, or none for several operations, is OPERATION_RESOLUTION_FAILURE: %o', async (name) => {
    const response = await post(JSON.stringify({ query: 'query A { viewer { id } } query B { viewer { id } }', ...name }));
    expect((await response.json()).errors).toMatchObject([{ extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }]);
  });

  it('the quick start\'s answer without a token is the README\'s, byte for byte', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const shown = readme.split('\n').find((line) => line.startsWith('{"errors":[{"message":"Missing Authorization header'));
    const response = await fetch(app.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"query":"{ viewer { id } }"}' });
    expect(await response.text()).toBe(shown);
  });

  it('/health answers 200 {"status":"ok"}', async () => {
    const response = await fetch(new URL('/health', app.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('a connection without first or last returns 20 items and says there are more', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    await seed(app.db).messages(thread.id, Array.from({ length: 25 }, (_, i) => `message ${i + 1}`));
    const data = expectData(
      await app.gql(user, 'query($id: ID!) { thread(id: $id) { messages { edges { node { seq } } pageInfo { hasNextPage } } } }', { id: thread.id }),
    );
    const seqs = data.thread.messages.edges.map((edge: { node: { seq: number } }) => edge.node.seq);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(data.thread.messages.pageInfo.hasNextPage).toBe(true);
  });
});
