import pino from 'pino';
import { startBenchServices } from '../bench/shared/services.js';
import { startBenchServer, seedBenchThreads } from '../bench/send-message/servers.js';
import { signUserToken } from '../src/context/bearer-token.js';
import { ids } from '../src/ids/generate-ids.js';
import { insertThread } from '../src/repositories/threads-repository.js';
import { Session } from 'node:inspector/promises';
import { writeFile } from 'node:fs/promises';

const log = pino({ level: 'warn' });
const services = await startBenchServices(log);
const server = await startBenchServer('FAST', services, log);
const db = server.app.db;
const owner = 'reader-1';
const token = await signUserToken(owner, 'threadline-bench-secret-long-enough-for-hs256');
const gql = async (query: string, variables?: object) => {
  const r = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return r.json() as Promise<any>;
};
for (let t = 0; t < 20; t++) {
  const thread = await db.transaction().execute((trx) => insertThread(trx, { id: ids.threadId('bench'), ownerId: owner, title: `T${t}`, metadata: { n: t } }));
  for (let r = 0; r < 2; r++) await gql('mutation($i: StartRunInput!) { startRun(input: $i) { id } }', { i: { threadId: thread.id } });
  for (let m = 0; m < 30; m++) {
    const res = await gql('mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }', { i: { threadId: thread.id, content: 'x'.repeat(200) + m, metadata: { k: m } } });
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  }
}
const PAGE = process.env.Q ?? `{ threads(first: 20) { edges { cursor node { id title status metadata createdAt updatedAt messageCount
  messages(last: 10) { edges { cursor node { id seq role content metadata status durability createdAt } } pageInfo { hasPreviousPage startCursor } }
  runs(first: 5) { edges { node { id status createdAt startedAt completedAt } } } } } pageInfo { hasNextPage endCursor } } }`;
const first = await gql(PAGE);
console.log('bytes', JSON.stringify(first).length, first.errors);
async function load(ms: number) {
  const end = Date.now() + ms; let n = 0;
  await Promise.all(Array.from({ length: 8 }, async () => { while (Date.now() < end) { await gql(PAGE); n++; } }));
  return n;
}
await load(3000);
const session = new Session(); session.connect();
await session.post('Profiler.enable'); await session.post('Profiler.start');
const n = await load(Number(process.env.MS ?? 8000));
const { profile } = await session.post('Profiler.stop');
console.log('rps', n / (Number(process.env.MS ?? 8000) / 1000));
await writeFile('.prof/read.cpuprofile', JSON.stringify(profile));
await server.stop(); await services.stop();
process.exit(0);
