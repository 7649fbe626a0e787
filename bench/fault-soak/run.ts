// npm run bench:fault-soak [-- --duration 100 --clients 6 --threads 12 --recovery-bound 30 --out bench/results --name fault-soak]
//
// Issue 13, item 6: faults on a schedule under load, then the checks. A Postgres server
// (Debian's 15), a redis-server (AOF, appendfsync everysec) and the compiled server each run in
// a process of their own, as deployed; a child process sends. Redis is killed, hung and
// restarted and Postgres crashed and started while the clients send (fault-schedule.ts); then
// every acked message must be in Postgres exactly once with gap-free seqs, and /ready must be
// back on the fast path within --recovery-bound s of the last fault, with FAST sends answered
// HOT. Exits non-zero when a check fails. Everything started here is stopped on exit, error or
// signal.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { signUserToken } from '../../src/context/bearer-token.js';
import { DEAD_LETTER_STREAM } from '../../src/storage/redis-keys.js';
import { freePort } from '../../test/support/free-port.js';
import { startPrivateRedis } from '../../test/support/private-services.js';
import { machineInfo } from '../shared/machine.js';
import { ISSUE_13_SCHEDULE, runSchedule } from './fault-schedule.js';
import { startSoakLoad, type SoakLoadDriver } from './load-driver.js';
import type { SoakLoadJob, SoakThread } from './load-protocol.js';
import { DEBIAN_POSTGRES_15, startPostgresServer } from './postgres-server.js';
import { monitorReadiness, onFastPath } from './readiness-monitor.js';
import { checkRecovery } from './recovery-check.js';
import { writeReport } from './report.js';
import { summariseServerLog } from './server-log.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { checkStored, countStoredAcks } from './stored-check.js';
import { readStreamState } from './stream-state.js';
import { failureKinds, timelineOf } from './timeline.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '100' },
    clients: { type: 'string', default: '6' },
    threads: { type: 'string', default: '12' },
    'content-bytes': { type: 'string', default: '200' },
    'recovery-bound': { type: 'string', default: '30' },
    'postgres-bin': { type: 'string', default: DEBIAN_POSTGRES_15 },
    'max-minutes': { type: 'string', default: '15' },
    /** The server's LOG_LEVEL; `debug` shows why each recovery attempt failed. */
    'server-log-level': { type: 'string', default: 'info' },
    /** Keep the temporary directory (server, Postgres logs) for a look afterwards. */
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
    name: { type: 'string', default: 'fault-soak' },
  },
});

const settings = {
  durationSec: Number(args.duration),
  clients: Number(args.clients),
  threads: Number(args.threads),
  contentBytes: Number(args['content-bytes']),
  recoveryBoundSec: Number(args['recovery-bound']),
  requestTimeoutMs: 10_000,
  retryPauseMs: 100,
  /** After the load stops, how long an unacked message is still retried. */
  retryGraceSec: 30,
  drainTimeoutMs: 120_000,
};
const JWT_SECRET = 'threadline-fault-soak-secret-long-enough-for-hs256';

const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.splice(0)) await step().catch((error) => console.error('cleanup step failed:', error));
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
const watchdog = setTimeout(() => {
  console.error(`soak exceeded ${args['max-minutes']} minutes; stopping`);
  void cleanup().finally(() => process.exit(2));
}, Number(args['max-minutes']) * 60_000);

/** Each thread owned by a user of its own, created through the API as a client would. */
async function createThreads(server: ServerProcess, count: number): Promise<SoakThread[]> {
  const threads: SoakThread[] = [];
  for (let i = 0; i < count; i++) {
    const token = await signUserToken(`soak-user-${i}`, JWT_SECRET);
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `mutation { createThread(input: { title: "soak ${i}" }) { id } }` }),
    });
    const body = (await response.json()) as { data?: { createThread?: { id: string } } };
    if (!body.data?.createThread) throw new Error(`createThread failed: ${JSON.stringify(body)}`);
    threads.push({ threadId: body.data.createThread.id, token });
  }
  return threads;
}

async function redisSettings(url: string): Promise<Record<string, string>> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    const [, appendonly] = (await redis.config('GET', 'appendonly')) as [string, string];
    const [, appendfsync] = (await redis.config('GET', 'appendfsync')) as [string, string];
    const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown';
    return { redis_version: version, appendonly, appendfsync };
  } finally {
    redis.disconnect();
  }
}

async function countDeadLetters(url: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    return await redis.xlen(DEAD_LETTER_STREAM);
  } finally {
    redis.disconnect();
  }
}

/** Waits until Postgres holds every acked message (the persister drains what Redis queued), at most drainTimeoutMs. */
async function waitForDrain(databaseUrl: string, threadIds: string[], acks: Parameters<typeof countStoredAcks>[2]) {
  const started = Date.now();
  let stored = 0;
  while (Date.now() - started < settings.drainTimeoutMs) {
    stored = await countStoredAcks(databaseUrl, threadIds, acks).catch(() => stored);
    if (stored === acks.length) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { waitedSec: (Date.now() - started) / 1000, storedAcks: stored };
}

function loadJob(server: ServerProcess, threads: SoakThread[], epochMs: number, label: string, fromSec: number, forSec: number, clients: number): SoakLoadJob {
  const stopAtSec = fromSec + forSec;
  return {
    url: server.url, threads, clients, epochMs, stopAtSec, giveUpAtSec: stopAtSec + settings.retryGraceSec,
    requestTimeoutMs: settings.requestTimeoutMs, retryPauseMs: settings.retryPauseMs, contentBytes: settings.contentBytes, label,
  };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  console.log(`machine: ${machine.cores} cores, ${machine.cpuModel}, load ${machine.loadAverageAtStart.join(' ')}`);
  const directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-fault-soak-'));
  // As root, Postgres runs as the `postgres` user: it must be able to enter the directory.
  await chmod(directory, 0o755);
  cleanups.unshift(async () => (args.keep ? console.log(`kept ${directory}`) : rm(directory, { recursive: true, force: true })));
  const postgres = await startPostgresServer(String(args['postgres-bin']), directory);
  cleanups.unshift(postgres.dispose);
  const redis = await startPrivateRedis({ appendFsync: 'everysec' });
  cleanups.unshift(redis.dispose);
  const services = { postgres: postgres.version, redis: await redisSettings(redis.url) };
  console.log(`postgres ${services.postgres}, redis ${JSON.stringify(services.redis)}`);

  const logFile = path.join(directory, 'server.log');
  const server = await startServerProcess(
    {
      NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(await freePort()), DATA_DIR: path.join(directory, 'data'),
      DATABASE_URL: postgres.url, REDIS_URL: redis.url, JWT_SECRET, LOG_LEVEL: String(args['server-log-level']),
    },
    logFile,
  );
  cleanups.unshift(server.stop);
  console.log(`server: pid ${server.pid}, ${server.url}, log ${logFile}`);
  const threads = await createThreads(server, settings.threads);
  const load: SoakLoadDriver = await startSoakLoad();
  cleanups.unshift(load.stop);

  const epochMs = Date.now();
  const monitor = monitorReadiness(server.origin, epochMs);
  cleanups.unshift(async () => monitor.stop());
  if (!(await monitor.waitFor(onFastPath, 30))) throw new Error(`the server is not on the fast path before the faults: ${JSON.stringify(monitor.latest)}`);

  console.log(`load: ${settings.clients} clients for ${settings.durationSec} s; faults:`);
  const [result, schedule] = await Promise.all([
    load.run(loadJob(server, threads, epochMs, 'soak', 0, settings.durationSec, settings.clients)),
    runSchedule(ISSUE_13_SCHEDULE, { redis, postgres }, epochMs, console.log),
  ]);
  const lastFaultDoneAtSec = schedule.at(-1)?.doneAtSec ?? 0;
  await monitor.waitFor(onFastPath, lastFaultDoneAtSec + settings.recoveryBoundSec);
  // A few more samples, so that "for good" means something.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const probeFromSec = (Date.now() - epochMs) / 1000;
  const probe = await load.run(loadJob(server, threads, epochMs, 'probe', probeFromSec, 2, 1));
  monitor.stop();

  const acks = [...result.acks, ...probe.acks];
  const threadIds = threads.map((thread) => thread.threadId);
  const drain = await waitForDrain(postgres.url, threadIds, acks);
  const givenUp = [...result.unacked, ...probe.unacked].map((message) => message.clientMessageId);
  const stored = await checkStored(postgres.url, threadIds, acks, givenUp, settings.contentBytes);
  const probeSent = probe.acks.length + probe.unacked.length;
  const recovery = checkRecovery(schedule, monitor.changes, monitor.latest, probe.acks, probeSent, settings.recoveryBoundSec);
  const deadLetters = await countDeadLetters(redis.url);
  const streamAtEnd = await readStreamState(redis.url);
  await server.stop();
  const report = {
    machine,
    services,
    settings: { ...settings, threads: threads.length },
    schedule,
    load: {
      acked: result.acks.length,
      hot: result.acks.filter((ack) => ack.durability === 'HOT').length,
      durable: result.acks.filter((ack) => ack.durability !== 'HOT').length,
      failedAttempts: result.failures.length,
      failureKinds: failureKinds(result.failures),
      retriedMessages: result.acks.filter((ack) => ack.attempts > 1).length,
      givenUp: result.unacked.length,
    },
    timeline: timelineOf(result.acks, result.failures, settings.durationSec + 5),
    readiness: monitor.changes,
    serverLog: await summariseServerLog(logFile, epochMs),
    drain,
    deadLetters,
    streamAtEnd,
    stored,
    recovery,
    ok: stored.ok && recovery.ok && deadLetters === 0,
  };
  const written = await writeReport(path.resolve(String(args.out)), String(args.name), report);
  console.log(`\nwrote ${written.json} and ${written.markdown}`);
  console.log(`exactly once: ${stored.ok ? 'pass' : 'FAIL'} (${stored.acked} acked, ${stored.inPostgres} in Postgres, missing ${stored.missing.length}, twice ${stored.duplicated.length}, gaps ${stored.threadsWithGaps.length})`);
  console.log(`recovery: ${recovery.ok ? 'pass' : 'FAIL'} (fast path ${recovery.finalRecoverySec ?? 'never'} s after the last fault; probe ${recovery.probe.hot}/${recovery.probe.sent} HOT)`);
  if (!report.ok) process.exitCode = 1;
}

main()
  .then(() => cleanup())
  .then(() => clearTimeout(watchdog))
  .catch(async (error) => {
    console.error(error);
    await cleanup();
    clearTimeout(watchdog);
    process.exitCode = 1;
  });
