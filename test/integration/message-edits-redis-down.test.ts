import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadId } from '../../src/ids/id-types.js';
import { threadKeys } from '../../src/storage/redis-keys.js';
import { expectData } from '../support/expect-graphql.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-services.js';
import { seed } from '../support/seed.js';
import { waitFor } from '../support/stored-messages.js';
import { newUserId, startTestApp, type TestApp } from '../support/test-app.js';

// A redis-server of this file's own (AOF, appendfsync always), killed while messages are edited
// and deleted; the shared Postgres, and the persister in process.
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq durability } }';
const EDIT = 'mutation($input: EditMessageInput!) { editMessage(input: $input) { content revision } }';
const DELETE = 'mutation($id: ID!) { deleteMessage(id: $id) { content revision } }';
const PAGE = 'query($id: ID!) { thread(id: $id) { messages(first: 10) { edges { node { seq content revision } } } } }';

describe('editing and deleting while Redis is down', () => {
  let redis: PrivateRedis;
  let app: TestApp;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    app = await startTestApp({ env: { REDIS_URL: redis.url, PERSISTER_BLOCK_MS: '20' } });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await redis?.dispose();
  });

  const readiness = async () => (await (await fetch(new URL('/ready', app.url))).json()) as { status: string };
  const send = async (user: string, threadId: string, content: string) =>
    expectData(await app.gql(user, SEND, { input: { threadId, content } })).sendMessage;
  const row = (id: string) => app.db.selectFrom('messages').select(['content', 'revision']).where('id', '=', id).executeTakeFirst();

  it('commits in Postgres, and the Redis window has the changes once the circuit closes again', async () => {
    const user = newUserId();
    const [edited, other] = [await seed(app.db).thread(user), await seed(app.db).thread(user)];
    const kept = await send(user, edited.id, 'before the outage');
    const gone = await send(user, edited.id, 'doomed');
    await send(user, other.id, 'warm');
    await waitFor('the messages in Postgres', async () => (await row(kept.id)) && (await row(gone.id)));

    await redis.kill();
    // A send while Redis is down opens the circuit: writes and reads go to Postgres until it is back.
    expect(expectData(await app.gql(user, SEND, { input: { threadId: other.id, content: 'through Postgres' } })).sendMessage.durability).toBe('DURABLE');
    expect((await readiness()).status).toBe('degraded');
    expect(expectData(await app.gql(user, EDIT, { input: { id: kept.id, content: 'during the outage' } })).editMessage).toEqual({ content: 'during the outage', revision: 2 });
    expect(expectData(await app.gql(user, DELETE, { id: gone.id })).deleteMessage).toEqual({ content: '', revision: 2 });
    expect(await row(kept.id)).toEqual({ content: 'during the outage', revision: 2 });
    expect(await row(gone.id)).toEqual({ content: '', revision: 2 });

    await redis.restart();
    await waitFor('the circuit to close', async () => (await readiness()).status === 'ready', 30_000, 100);
    // Recovery relays the outbox before the circuit closes: the window is in step from the first read on.
    const client = new Redis(redis.url);
    try {
      const window = (await client.lrange(threadKeys(edited.id as ThreadId).window, 0, -1)).map((entry) => JSON.parse(entry));
      expect(window.map((entry) => [entry.seq, entry.content, entry.revision])).toEqual([[1, 'during the outage', 2], [2, '', 2]]);
    } finally {
      client.disconnect();
    }
    const page = expectData(await app.gql(user, PAGE, { id: edited.id })).thread.messages.edges.map((edge: any) => edge.node);
    expect(page).toEqual([{ seq: 1, content: 'during the outage', revision: 2 }, { seq: 2, content: '', revision: 2 }]);
  });
});
