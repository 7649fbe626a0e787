import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Thread } from '../../src/domain/thread.js';
import { ids } from '../../src/ids/generate-ids.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { ownerRows } from '../support/owner-rows.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';
import { collect, connectAs } from '../support/ws-client.js';

// A mutation operation commits or rolls back as a whole; a write acknowledged from Redis as it
// runs cannot be part of that, so it must be alone in its operation: otherwise the operation is
// refused before anything runs, on every write path.
describe.each([
  ['with Redis (the fast path)', {}],
  ['without Redis (every write on the Postgres path)', { DISABLE_REDIS: 'true' }],
])('mutation operations %s', (_path, env) => {
  let app: TestApp;
  let redis: Redis;
  let user: string;
  let thread: Thread;

  beforeAll(async () => {
    app = await startTestApp({ env });
    redis = new Redis(inject('redisUrl'));
    user = newUserId();
    thread = await seed(app.db).thread(user);
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.stop();
  });

  const footprint = async () => ({ rows: await ownerRows(app.db, user), seq: await redis.hget(threadKeys(thread.id).meta, 'seq') });
  const send = (alias: string, content: string) => `${alias}: sendMessage(input: { threadId: ${JSON.stringify(thread.id)}, content: ${JSON.stringify(content)} }) { id }`;
  const absentThread = () => JSON.stringify(ids.threadId('api'));

  it.each([
    ['a send and a failing archive (the reported case)', () => `mutation { ${send('a', 'kept?')} b: archiveThread(id: "thread_api_1_1_deadbeef") { id } }`],
    ['a send and a write that would succeed', () => `mutation { ${send('a', 'kept?')} b: createThread { id } }`],
    ['two sends', () => `mutation { ${send('a', 'one')} ${send('b', 'two')} }`],
    ['a send inside a fragment', () => `mutation { ...Both } fragment Both on Mutation { ${send('a', 'kept?')} createThread { id } }`],
    ['a streamed reply started beside another write', () => `mutation { a: startMessage(input: { threadId: ${JSON.stringify(thread.id)} }) { id } b: createThread { id } }`],
  ])('%s: refused with BAD_USER_INPUT before anything runs', async (_case, query) => {
    const before = await footprint();
    const error = expectError(await app.gql(user, query()), 'BAD_USER_INPUT');
    expect(error.message).toContain('must be the only field of its mutation operation');
    expect(await footprint()).toEqual(before);
  });

  it('a send alone (with __typename) is fine', async () => {
    const data = expectData(await app.gql(user, `mutation { __typename ${send('a', 'alone')} }`));
    expect(data.a.id).toMatch(/^msg_/);
  });

  it('writes that commit with the operation still combine, and roll back as a whole when one fails', async () => {
    const title = `all or nothing ${ids.messageId()}`;
    const failed = await app.gql(user, `mutation { a: createThread(input: { title: ${JSON.stringify(title)} }) { id } b: archiveThread(id: ${absentThread()}) { id } }`);
    expectError(failed, 'NOT_FOUND');
    expect(failed.data).toBeNull();
    const titled = () => app.db.selectFrom('threads').select('id').where('owner_id', '=', user).where('title', '=', title).execute();
    expect(await titled()).toEqual([]);

    const both = expectData(await app.gql(user, `mutation { a: createThread(input: { title: ${JSON.stringify(title)} }) { id } b: updateThread(input: { id: ${JSON.stringify(thread.id)}, title: "renamed" }) { title } }`));
    expect(both.b.title).toBe('renamed');
    expect(await titled()).toHaveLength(1);
  });

  it('over WebSocket the same operation is refused for itself, and the socket stays open', async () => {
    const socket = await connectAs(app.url, { userId: user });
    try {
      const before = await footprint();
      const refused = collect(socket.client, `mutation { ${send('a', 'ws')} b: createThread { id } }`);
      await refused.done;
      expect(refused.errors.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(await footprint()).toEqual(before);
      const alone = collect(socket.client, `mutation { ${send('a', 'ws alone')} }`);
      await alone.done;
      expect(alone.events).toHaveLength(1);
    } finally {
      await socket.client.dispose();
    }
  });
});
