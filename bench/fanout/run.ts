// npm run bench:fanout [-- --runs 5 --max-minutes 30 --out bench/results]
//
// Real-time fan-out of the real server (buildApp: graphql-ws, registry, Redis pub/sub) beside a
// bare `ws` broadcast of the same frames, on this machine. This process holds the servers; the
// subscribers and senders run in a child process (loopback only, bounded in count and time).
// 1. Latency: sendMessage → the last of 1,000 subscribers of one thread, one message at a time.
// 2. Throughput: deliveries/s with 100 threads × 100 subscribers under closed-loop senders.
// 3. Idle (run first): 20,000 subscribers held by the server process; memory per subscriber.
// Latency and throughput are measured for each target of protocol.ts: the server read by the
// same protocol-level client as the bare broadcast (judged), and by the graphql-ws library (shown).
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import pino from 'pino';
import { machineInfo } from '../shared/machine.js';
import { startBareBroadcast, type BareBroadcast } from '../shared/bare-broadcast.js';
import { seedBenchThreads, startBenchServer, type BenchServer } from '../shared/bench-server.js';
import { quietly } from '../shared/quiet-runs.js';
import { startBenchServices } from '../shared/services.js';
import { median, quantile, round } from '../shared/stats.js';
import { messageAddedEvent, servedByThreadline, TARGETS, type LatencyResult, type SubscriberGroup, type Target, type ThroughputResult } from './protocol.js';
import { writeFanoutReport, type FanoutReport } from './report.js';
import { startSubscriberDriver, type SubscriberDriver } from './subscriber-driver.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'latency-subscribers': { type: 'string', default: '1000' },
    'latency-messages': { type: 'string', default: '100' },
    threads: { type: 'string', default: '100' },
    'subscribers-per-thread': { type: 'string', default: '100' },
    'throughput-seconds': { type: 'string', default: '8' },
    'throughput-senders': { type: 'string', default: '16' },
    'idle-connections': { type: 'string', default: '10000' },
    phases: { type: 'string', default: 'latency,throughput,idle' },
    'max-minutes': { type: 'string', default: '30' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const settings = {
  runs: Number(args.runs),
  latency: { subscribers: Number(args['latency-subscribers']), messages: Number(args['latency-messages']), warmupMessages: 10, pauseMs: 20 },
  throughput: { threads: Number(args.threads), subscribersPerThread: Number(args['subscribers-per-thread']), seconds: Number(args['throughput-seconds']), senders: Number(args['throughput-senders']) },
  // 20,000 subscribers as 10,000 sockets × 2: this machine allows 20,000 open files per process.
  idle: { connections: Number(args['idle-connections']), subscriptionsPerConnection: 2 },
  // Other sessions share this machine: a run during which they used more than maxOtherCoresDuringRun
  // is run again (at most maxAttempts times) and kept, flagged, only if no quiet attempt came.
  quiet: { maxOtherCores: 0.2, maxWaitMs: 60_000, maxOtherCoresDuringRun: 0.3, maxAttempts: 3 },
};

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
const log = pino({ level: 'warn' });
const cleanups: Array<() => Promise<void>> = [];
const cleanup = async () => {
  for (const step of cleanups.splice(0)) await step().catch((error) => console.error('cleanup step failed:', error));
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().finally(() => process.exit(130)));
const watchdog = setTimeout(() => {
  console.error(`bench exceeded ${args['max-minutes']} minutes; stopping`);
  void cleanup().finally(() => process.exit(2));
}, Number(args['max-minutes']) * 60_000);

async function waitUntil(what: string, done: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** One figure for each target of protocol.ts. */
function perTarget<T>(figure: (target: Target) => T): Record<Target, T> {
  return Object.fromEntries(TARGETS.map((target) => [target, figure(target)])) as Record<Target, T>;
}

/** A measurement on a quiet machine (shared/quiet-runs.ts), each attempt from a collected heap. */
function measureQuietly<T>(measure: () => Promise<T>) {
  // Every target starts from a collected heap (the subscriber process collects its own at the
  // start of each command): a run must not pay for the garbage of the phase before it.
  return quietly(settings.quiet, measure, collectGarbage);
}

function memory() {
  collectGarbage();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  console.log(`machine: ${machine.cores} cores, ${machine.cpuModel}, node ${machine.node}`);
  const services = await startBenchServices(log);
  cleanups.unshift(services.stop);
  const server = await startBenchServer(services, log);
  cleanups.unshift(server.stop);
  const bare = await startBareBroadcast(messageAddedEvent);
  cleanups.unshift(bare.stop);
  const driver = await startSubscriberDriver(Number(args['max-minutes']));
  cleanups.unshift(driver.stop);
  console.log(`server process ${process.pid}, subscriber process ${driver.pid}`);
  const bench = { server, bare, driver };

  const phases = new Set(String(args.phases).split(','));
  const [latencyThread] = await seedBenchThreads(server.app, 'fanout-latency', 1);
  const throughputThreads = await seedBenchThreads(server.app, 'fanout-throughput', settings.throughput.threads);
  // Idle first: RSS is measured before the other phases raise the process's high-water mark.
  const idle = phases.has('idle') ? await measureIdle(bench, throughputThreads) : null;
  const latency = phases.has('latency') ? await measureLatency(bench, latencyThread!) : null;
  const throughput = phases.has('throughput') ? await measureThroughput(bench, throughputThreads) : null;
  if (!latency || !throughput || !idle) return console.log('not every phase ran: no report written');

  const report: FanoutReport = { machine, services: await services.settings(), settings, latency, throughput, idle };
  const written = await writeFanoutReport(report, args.out as string);
  console.log(`wrote ${written.join(', ')}`);
}

interface Bench {
  server: BenchServer;
  bare: BareBroadcast;
  driver: SubscriberDriver;
}

/** Opens subscribers on a target and waits until the server side holds them all. */
async function openSubscribers({ server, bare, driver }: Bench, target: Target, groups: SubscriberGroup[]): Promise<void> {
  const wsUrl = servedByThreadline(target) ? server.wsUrl : bare.wsUrl;
  await driver.run({ cmd: 'open', target, wsUrl, groups }, 300_000);
  const subscriptions = groups.reduce((sum, g) => sum + g.connections * g.subscriptionsPerConnection, 0);
  if (servedByThreadline(target)) await waitUntil('registrations', () => server.app.realtime.subscriptions === subscriptions);
}

async function closeSubscribers({ server, bare, driver }: Bench): Promise<void> {
  await driver.run({ cmd: 'close' }, 300_000);
  await waitUntil('sockets to close', () => server.app.realtime.sockets === 0 && bare.sockets() === 0 && server.app.realtime.subscriptions === 0);
}

async function measureLatency(bench: Bench, thread: { threadId: string; token: string }) {
  const { subscribers, messages, warmupMessages, pauseMs } = settings.latency;
  console.log(`latency: 1 thread × ${subscribers} subscribers, ${messages} messages per run`);
  const runs: Array<Record<Target, { p50Ms: number; p99Ms: number; maxMs: number; ackP50Ms: number; cpu: unknown; attempts: number; contended: boolean }>> = [];
  for (let run = 1; run <= settings.runs; run++) {
    // Each run starts with another target, so that no target always follows the same one.
    const order = TARGETS.map((_, i) => TARGETS[(i + run - 1) % TARGETS.length]!);
    const figures = {} as (typeof runs)[number];
    for (const target of order) {
      await openSubscribers(bench, target, [{ ...thread, connections: subscribers, subscriptionsPerConnection: 1 }]);
      const sendUrl = servedByThreadline(target) ? bench.server.url : bench.bare.sendUrl;
      const job = { cmd: 'latency' as const, target, sendUrl, ...thread, expected: subscribers, pauseMs };
      await bench.driver.run<LatencyResult>({ ...job, messages: warmupMessages }, 120_000);
      const { result, cpu, attempts, contended } = await measureQuietly(() => bench.driver.run<LatencyResult>({ ...job, messages }, 600_000));
      figures[target] = {
        p50Ms: round(quantile(result.lastArrivalMs, 0.5)),
        p99Ms: round(quantile(result.lastArrivalMs, 0.99)),
        maxMs: round(Math.max(...result.lastArrivalMs)),
        ackP50Ms: round(quantile(result.ackMs, 0.5)),
        cpu,
        attempts,
        contended,
      };
      console.log(`  run ${run} ${target.padEnd(17)} p50 ${figures[target].p50Ms} ms  p99 ${figures[target].p99Ms} ms  (ack p50 ${figures[target].ackP50Ms} ms)`);
      await closeSubscribers(bench);
    }
    runs.push(figures);
  }
  const medianOf = (target: Target) => ({ p50Ms: median(runs.map((r) => r[target].p50Ms)), p99Ms: median(runs.map((r) => r[target].p99Ms)) });
  const medians = perTarget(medianOf);
  const ratiosOf = (target: Target) => ({ p50: round(medians[target].p50Ms / medians.bare.p50Ms), p99: round(medians[target].p99Ms / medians.bare.p99Ms) });
  return { runs, medians, ratios: ratiosOf('graphql'), libraryClientRatios: ratiosOf('graphql-ws-client') };
}

async function measureThroughput(bench: Bench, threads: Array<{ threadId: string; token: string }>) {
  const { subscribersPerThread, seconds, senders } = settings.throughput;
  console.log(`throughput: ${threads.length} threads × ${subscribersPerThread} subscribers, ${senders} senders, ${seconds} s per run`);
  const groups = threads.map((thread) => ({ ...thread, connections: subscribersPerThread, subscriptionsPerConnection: 1 }));
  const byTarget = {} as Record<Target, Array<{ deliveriesPerSec: number; messagesPerSec: number; missing: number; cpu: unknown; attempts: number; contended: boolean }>>;
  for (const target of TARGETS) {
    await openSubscribers(bench, target, groups);
    const sendUrl = servedByThreadline(target) ? bench.server.url : bench.bare.sendUrl;
    const job = { cmd: 'throughput' as const, target, sendUrl, threads, concurrency: senders, expectedPerMessage: subscribersPerThread };
    await bench.driver.run<ThroughputResult>({ ...job, durationMs: 2_000 }, 120_000);
    byTarget[target] = [];
    for (let run = 1; run <= settings.runs; run++) {
      const measureRun = () => bench.driver.run<ThroughputResult>({ ...job, durationMs: seconds * 1000 }, (seconds + 90) * 1000);
      const { result, cpu, attempts, contended } = await measureQuietly(measureRun);
      const figures = {
        deliveriesPerSec: Math.round(result.delivered / (result.elapsedMs / 1000)),
        messagesPerSec: Math.round(result.sent / (result.elapsedMs / 1000)),
        missing: result.missing,
        cpu,
        attempts,
        contended,
      };
      byTarget[target].push(figures);
      console.log(`  run ${run} ${target.padEnd(17)} ${figures.deliveriesPerSec} deliveries/s (${figures.messagesPerSec} messages/s, ${figures.missing} missing)`);
    }
    await closeSubscribers(bench);
  }
  const medianOf = (target: Target) => ({ deliveriesPerSec: median(byTarget[target].map((r) => r.deliveriesPerSec)) });
  const medians = perTarget(medianOf);
  // Which side was the limit: the server's event loop, or the subscriber process.
  const coresOf = (target: Target, part: 'serverMain' | 'loadClient') =>
    median(byTarget[target].map((r) => (r.cpu as { parts?: Record<string, number> } | null)?.parts?.[part] ?? Number.NaN));
  const coresFor = (target: Target) => ({ serverMain: coresOf(target, 'serverMain'), subscriberProcess: coresOf(target, 'loadClient') });
  const cores = perTarget(coresFor);
  const ratioOf = (target: Target) => round(medians[target].deliveriesPerSec / medians.bare.deliveriesPerSec);
  return { runs: byTarget, medians, cores, ratio: ratioOf('graphql'), libraryClientRatio: ratioOf('graphql-ws-client') };
}

async function measureIdle(bench: Bench, threads: Array<{ threadId: string; token: string }>) {
  const { connections, subscriptionsPerConnection } = settings.idle;
  console.log(`idle: ${connections} sockets × ${subscriptionsPerConnection} subscriptions`);
  const perThread = Math.ceil(connections / threads.length);
  const groups = threads.map((thread) => ({ ...thread, connections: perThread, subscriptionsPerConnection }));
  const base = memory();
  // Memory is the server's; held by library clients, as applications hold subscriptions.
  await openSubscribers(bench, 'graphql-ws-client', groups);
  // Let keep-alive pings and the last setups settle before measuring what is merely held.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const held = memory();
  const sockets = bench.server.app.realtime.sockets;
  const subscribers = bench.server.app.realtime.subscriptions;
  await closeSubscribers(bench);
  const perSubscriber = (bytes: number) => round(bytes / subscribers / 1024, 2);
  const perSubscriberKB = {
    rss: perSubscriber(held.rss - base.rss),
    heapUsed: perSubscriber(held.heapUsed - base.heapUsed),
    external: perSubscriber(held.external - base.external),
  };
  console.log(`  ${subscribers} subscribers on ${sockets} sockets: ${perSubscriberKB.rss} KB RSS, ${perSubscriberKB.heapUsed} KB heap per subscriber`);
  return { sockets, subscribers, memory: { base, held }, perSubscriberKB };
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    clearTimeout(watchdog);
    await cleanup();
  });
