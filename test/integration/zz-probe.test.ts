import { afterAll, beforeAll, it } from 'vitest';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { seed } from '../support/seed.js';

let app: TestApp;
beforeAll(async () => { app = await startTestApp(); });
afterAll(() => app.stop());

it('probe', async () => {
  const u = newUserId();
  const t = await seed(app.db).thread(u, { title: 'x' });
  const show = async (label: string, q: string, v?: any) => console.log(label, JSON.stringify(await app.gql(u, q, v)));
  await show('node bad', '{ node(id: "nope") { id } }');
  await show('thread bad', '{ thread(id: "nope") { id } }');
  await show('nul content', 'mutation($t: ID!) { sendMessage(input: {threadId: $t, content: "a\\u0000b"}) { id } }', { t: t.id });
  await show('nul meta', 'mutation($t: ID!) { sendMessage(input: {threadId: $t, content: "ab", metadata: {x: "a\\u0000"}}) { id } }', { t: t.id });
  await show('trim', 'mutation($t: ID!) { updateThread(input: {id: $t, title: "  hi  "}) { title } }', { t: t.id });
  await show('title long', 'mutation($t: ID!) { updateThread(input: {id: $t, title: $x}) { title } }', { t: t.id, x: 'a'.repeat(201) });
  await show('meta arr', 'mutation($t: ID!, $m: JSON) { updateThread(input: {id: $t, metadata: $m}) { title } }', { t: t.id, m: [1] });
  await show('first 101', '{ threads(first: 101) { edges { cursor } } }');
  await show('first -1', '{ threads(first: -1) { edges { cursor } } }');
  await show('bad cursor', '{ threads(after: "zzz") { edges { cursor } } }');
  await show('aliases', `{ ${Array.from({ length: 21 }, (_, i) => `a${i}: viewer { id }`).join(' ')} }`);
  await show('tokens', `{ viewer { ${'id '.repeat(3001)} } }`);
  await show('unauth', '{ thread(id: "nope") { id } }');
  await show('archive101', 'mutation($ids: [ID!]!) { archiveThreads(ids: $ids) { id } }', { ids: Array(101).fill(t.id) });
  await show('nested first', '{ threads(first: 1) { edges { node { id messages(first: 101) { edges { cursor } } } } } }');
  console.log('unauth', JSON.stringify(await app.gql(null, 'mutation { createThread { id } }')));
});
