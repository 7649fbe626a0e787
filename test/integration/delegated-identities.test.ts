import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { signUserToken } from '../../src/context/bearer-token.js';
import { expectData, expectError } from '../support/expect-graphql.js';
import { seed } from '../support/seed.js';
import { newUserId, startTestApp, TEST_JWT_SECRET, type GraphqlResponse, type TestApp } from '../support/test-app.js';
import { collect, connectAs } from '../support/ws-client.js';

const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'threadline';
const AGENT = 'agent-worker-7';
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id seq actor } }';
const START = 'mutation($input: StartMessageInput!) { startMessage(input: $input) { id actor } }';
const COMPLETE = 'mutation($id: ID!) { completeMessage(id: $id) { id actor status } }';
const START_RUN = 'mutation($input: StartRunInput!) { startRun(input: $input) { id actor } }';
const PAGE = 'query($id: ID!) { thread(id: $id) { messageCount messages(last: 20) { edges { node { id content actor } } } runs(first: 5) { edges { node { id actor } } } } }';

interface SigningKey {
  alg: 'RS256' | 'ES256';
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

async function signingKey(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A token as an identity provider signs it: `claims` on top of sub, iss, aud and a 10-minute exp. */
function providerToken(key: SigningKey, sub: string, claims: Record<string, unknown> = {}, edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid }).setSubject(sub).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('10m');
  return edit(jwt).sign(key.privateKey);
}

async function post(app: TestApp, token: string, query: string, variables?: Record<string, unknown>): Promise<GraphqlResponse> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const response = await fetch(app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, ...((await response.json()) as object) };
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('tokens from a JWKS file, with issuer and audience', () => {
  let app: TestApp;
  let rsa: SigningKey;
  let ec: SigningKey;
  beforeAll(async () => {
    [rsa, ec] = await Promise.all([signingKey('RS256', 'rs-1'), signingKey('ES256', 'es-1')]);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'threadline-jwks-'));
    const file = path.join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify({ keys: [rsa.jwk, ec.jwk] }));
    app = await startTestApp({ env: { JWT_JWKS_FILE: file, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
  });
  afterAll(() => app.stop());

  it('accepts RS256 and ES256 tokens of the set, and HS256 tokens of the secret beside them', async () => {
    const user = newUserId();
    for (const token of [await providerToken(rsa, user), await providerToken(ec, user), await signUserToken(user, TEST_JWT_SECRET)]) {
      expect(expectData(await post(app, token, '{ viewer { id } }')).viewer.id).toBe(user);
    }
  });

  it('refuses forged, foreign and ill-formed tokens with UNAUTHENTICATED, and none of them writes anything', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const stranger = await signingKey('RS256', 'rs-1');
    const rsaPublicJwk = JSON.stringify(rsa.jwk);
    const refusals: Array<[string, string, RegExp]> = [
      ['another key under a kid of the set', await providerToken(stranger, user), /Invalid token/],
      ['a kid the set does not have', await providerToken({ ...stranger, kid: 'rs-unknown' }, user), /no key of the JWKS matches/],
      ['another issuer', await providerToken(rsa, user, {}, (jwt) => jwt.setIssuer('https://evil.example.test')), /issuer \(iss\)/],
      ['another audience', await providerToken(rsa, user, {}, (jwt) => jwt.setAudience('someone-else')), /audience \(aud\)/],
      ['no expiry', await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rs-1' }).setSubject(user).setIssuer(ISSUER).setAudience(AUDIENCE).sign(rsa.privateKey), /no expiry/],
      ['expired', await providerToken(rsa, user, {}, (jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 60)), /expired/],
      ['unsigned (alg none)', `${base64url({ alg: 'none' })}.${base64url({ sub: user, exp: 4_000_000_000, iss: ISSUER, aud: AUDIENCE })}.`, /not accepted/],
      // The public key used as an HMAC secret: HS256 tokens verify with the secret only.
      ['HS256 keyed with the public key', await new SignJWT({}).setProtectedHeader({ alg: 'HS256', kid: 'rs-1' }).setSubject(user).setExpirationTime('10m').sign(new TextEncoder().encode(rsaPublicJwk)), /Invalid token/],
      ['an algorithm not accepted', await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject(user).setExpirationTime('10m').sign(new TextEncoder().encode(TEST_JWT_SECRET.repeat(2))), /not accepted/],
      ['an act claim without an actor', await providerToken(rsa, user, { act: { client: AGENT } }), /act claim must name its actor/],
      ['an act claim that is a string', await providerToken(rsa, user, { act: AGENT }), /act claim must name its actor/],
    ];
    for (const [what, token, reason] of refusals) {
      const response = await post(app, token, SEND, { input: { threadId: thread.id, content: what } });
      expect(expectError(response, 'UNAUTHENTICATED').message, what).toMatch(reason);
    }
    expect(expectData(await app.gql(user, PAGE, { id: thread.id })).thread.messageCount).toBe(0);
  });

  it("an act token writes into its user's threads, and every message and run it writes names the actor", async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const agent = await providerToken(ec, user, { act: { sub: AGENT } });
    const subscriber = await connectAs(app.url, { userId: user });
    const live = collect(subscriber.client, 'subscription($id: ID!) { messageAdded(threadId: $id) { seq actor } }', { id: thread.id });
    await vi.waitFor(() => expect(app.realtime.subscriptions).toBeGreaterThan(0));

    const own = expectData(await app.gql(user, SEND, { input: { threadId: thread.id, content: 'from the user' } })).sendMessage;
    const fast = expectData(await post(app, agent, SEND, { input: { threadId: thread.id, content: 'fast' } })).sendMessage;
    const durable = expectData(await post(app, agent, SEND, { input: { threadId: thread.id, content: 'durable', durability: 'DURABLE' } })).sendMessage;
    const streamed = expectData(await post(app, agent, START, { input: { threadId: thread.id } })).startMessage;
    const completed = expectData(await post(app, agent, COMPLETE, { id: streamed.id })).completeMessage;
    const run = expectData(await post(app, agent, START_RUN, { input: { threadId: thread.id } })).startRun;
    expect([own.actor, fast.actor, durable.actor, streamed.actor, completed.actor, run.actor]).toEqual([null, AGENT, AGENT, AGENT, AGENT, AGENT]);

    // Live, from the Redis window, and from Postgres once persisted.
    expect((await live.received(4)).map((event) => event.messageAdded)).toEqual([
      { seq: 1, actor: null }, { seq: 2, actor: AGENT }, { seq: 3, actor: AGENT }, { seq: 4, actor: AGENT },
    ]);
    const page = expectData(await app.gql(user, PAGE, { id: thread.id })).thread;
    expect(page.messages.edges.map((edge: any) => edge.node.actor)).toEqual([null, AGENT, AGENT, AGENT]);
    expect(page.runs.edges.map((edge: any) => edge.node.actor)).toEqual([AGENT]);
    await vi.waitFor(async () => {
      const rows = await app.db.selectFrom('messages').select(['seq', 'actor', 'status']).where('thread_id', '=', thread.id).orderBy('seq').execute();
      expect(rows).toEqual([
        { seq: 1, actor: null, status: 'COMPLETED' }, { seq: 2, actor: AGENT, status: 'COMPLETED' },
        { seq: 3, actor: AGENT, status: 'COMPLETED' }, { seq: 4, actor: AGENT, status: 'COMPLETED' },
      ]);
    }, { timeout: 10_000, interval: 50 });
    const runRow = await app.db.selectFrom('runs').select('actor').where('id', '=', run.id).executeTakeFirstOrThrow();
    expect(runRow.actor).toBe(AGENT);
    // And in the ClickHouse archive, so analytics can tell an agent's writes from the user's.
    const archived = (table: string, key: string) => app.tiers.archive.client.query(
      'testActors', `SELECT DISTINCT ${key} AS id, actor FROM ${table} FINAL WHERE owner_id = {owner:String} ORDER BY id`,
      { owner: user }, z.object({ id: z.string(), actor: z.string().nullable() }),
    );
    await vi.waitFor(async () => {
      const messages = await archived('messages_archive', 'message_id');
      expect(messages.map((row) => row.actor).sort()).toEqual([AGENT, AGENT, AGENT, null]);
      expect(await archived('run_transitions', 'run_id')).toEqual([{ id: run.id, actor: AGENT }]);
    }, { timeout: 15_000, interval: 100 });
    live.stop();
    await subscriber.client.dispose();
  });

  it("widens nothing: an act token for one user finds another user's thread NOT_FOUND and changes nothing", async () => {
    const [user, other] = [newUserId(), newUserId()];
    const theirs = await seed(app.db).thread(other);
    const agent = await providerToken(rsa, user, { act: { sub: AGENT } });
    expectError(await post(app, agent, SEND, { input: { threadId: theirs.id, content: 'intrusion' } }), 'NOT_FOUND');
    expectError(await post(app, agent, START_RUN, { input: { threadId: theirs.id } }), 'NOT_FOUND');
    expect(expectData(await post(app, agent, PAGE, { id: theirs.id })).thread).toBeNull();
    const page = expectData(await app.gql(other, PAGE, { id: theirs.id })).thread;
    expect([page.messageCount, page.runs.edges]).toEqual([0, []]);
  });

  it('over graphql-ws: a socket opened with an act token writes as the actor', async () => {
    const user = newUserId();
    const thread = await seed(app.db).thread(user);
    const agent = await providerToken(rsa, user, { act: { sub: AGENT } });
    const socket = await connectAs(app.url, { authorization: `Bearer ${agent}` });
    const sent = await new Promise<any>((resolve, reject) => {
      socket.client.subscribe({ query: SEND, variables: { input: { threadId: thread.id, content: 'over a socket' } } }, { next: resolve, error: reject, complete: () => {} });
    });
    expect(sent.data.sendMessage.actor).toBe(AGENT);
    await socket.client.dispose();
  });
});

describe('tokens from a remote JWKS (JWT_JWKS_URL)', () => {
  let app: TestApp;
  let key: SigningKey;
  let jwks: Server;
  let fetches = 0;
  let served: JWK[] = [];
  beforeAll(async () => {
    key = await signingKey('ES256', 'remote-1');
    served = [key.jwk];
    jwks = createServer((_request, response) => {
      fetches += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: served }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    app = await startTestApp({ env: { JWT_JWKS_URL: url, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
  });
  afterAll(async () => {
    await app.stop();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('fetches the set once and verifies every token with it', async () => {
    const users = [newUserId(), newUserId(), newUserId()];
    for (const user of users) expect(expectData(await post(app, await providerToken(key, user), '{ viewer { id } }')).viewer.id).toBe(user);
    expect(fetches).toBe(1);
  });

  it('picks up a key the provider rotated in, once the 30 s cooldown since the last fetch has passed', async () => {
    const rotated = await signingKey('ES256', 'remote-2');
    served = [key.jwk, rotated.jwk];
    const user = newUserId();
    const before = fetches;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 1_000);
      expect(expectError(await post(app, await providerToken(rotated, user), '{ viewer { id } }'), 'UNAUTHENTICATED').message).toMatch(/no key of the JWKS matches/);
      vi.setSystemTime(Date.now() + 31_000);
      expect(expectData(await post(app, await providerToken(rotated, user), '{ viewer { id } }')).viewer.id).toBe(user);
      expect(fetches).toBe(before + 1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a set that cannot be fetched is UNAUTHENTICATED, saying so, and the server carries on', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/jwks.json`;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = await startTestApp({ env: { JWT_JWKS_URL: url } });
    try {
      const user = newUserId();
      expectError(await post(unreachable, await providerToken(key, user), '{ viewer { id } }'), 'UNAUTHENTICATED');
      const response = await post(unreachable, await providerToken(key, user), '{ viewer { id } }');
      expect(expectError(response, 'UNAUTHENTICATED').message).toMatch(/Token keys \(JWKS\) could not be fetched/);
      expect(expectData(await unreachable.gql(user, '{ viewer { id } }')).viewer.id).toBe(user);
    } finally {
      await unreachable.stop();
    }
  });
});
