// npm run bench:fanout [-- --runs 5 --max-minutes 30 --out bench/results]
// npm run bench:fanout -- --phases viewer-idle,viewer-latency   (the viewer feed only; prints, writes no report)
//
// Real-time fan-out of the real server (buildApp: graphql-ws, registry, Redis pub/sub) beside a
// bare `ws` broadcast of the same frames, on this machine. This process holds the servers; the
// subscribers and senders run in a child process (loopback only, bounded in count and time).
// 1. Latency: sendMessage → the last of 1,000 subscribers of one thread (messageAdded), one message at a time.
// 2. Throughput: deliveries/s with 100 threads × 100 subscribers under closed-loop senders.
// 3. Idle (run first): 20,000 messageAdded subscribers held by the server process; memory per subscriber.
// 4. Viewer idle (in a server process of its own): 10,000 viewers, each with one viewerEvents
//    subscription; memory per subscription.
// 5. Viewer latency (last): 1,000 viewers, each with one viewerEvents subscription and a thread of its
//    own; sendMessage into each viewer's thread in turn, one at a time, each timed until it is in
//    that viewer's feed.
// Latency and throughput are measured for each target of protocol.ts: the server read by the
// same protocol-level client as the bare broadcast (judged), and by the graphql-ws library (shown).
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import pino from 'pino';
import { machineInfo } from '../shared/machine.js';
import { startBareBroadcast, type BareBroadcast } from '../shared/bare-broadcast.js';
import { forkChild, siblingModule } from '../shared/child-process.js';
import { benchUserToken, seedBenchThreads, startBenchServer, type BenchServer } from '../shared/bench-server.js';
import { quietly } from '../shared/quiet-runs.js';
import { startBenchServices } from '../shared/services.js';
import { median, quantile, round } from '../shared/stats.js';
import { bareEventOf, servedByThreadline, TARGETS, type Feed, type LatencyResult, type Reply, type SendTarget, type SubscriberGroup, type Target, type ThroughputResult } from './protocol.js';
import { writeFanoutReport, type FanoutReport, type IdleFigures } from './report.js';
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
    'idle-viewers': { type: 'string', default: '10000' },
    'latency-viewers': { type: 'string', default: '1000' },
    phases: { type: 'string', default: 'latency,throughput,idle,viewer-idle,viewer-latency' },
    // Internal (inOwnProcess): run as a phase's own server process, and send its figures to the parent.
    'send-to-parent': { type: 'boolean', default: false },
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
  // One viewerEvents subscription per viewer (a user of its own), so one socket each: 10,000
  // sockets, as many as the idle scenario holds. Latency: each viewer gets one warm-up message,
  // then one measured message per run, in turn.
  viewers: {
    idle: { viewers: Number(args['idle-viewers']), subscriptionsPerConnection: 1 },
    latency: { viewers: Number(args['latency-viewers']), warmupRounds: 1, pauseMs: 2 },
  },
  // Other sessions share this machine: a run during which they used more than maxOtherCoresDuringRun
  // is run again (at most maxAttempts times) and kept, flagged, only if no quiet attempt came.
  quiet: { maxOtherCores: 0.2, maxWaitMs: 60_000, maxOtherCoresDuringRun: 0.3, maxAttempts: 3 },
};

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
const log = pino({ level: 'warn' });
const cleanups: Array<() => Promise<void>> = [];
const startedAt = Date.now();
/** With --send-to-parent: the figures to send once everything is stopped. */
let toParent: IdleFigures | null = null;
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
  if (args['send-to-parent']) process.send!({ ready: true } satisfies Reply);
  const machine = machineInfo();
  console.log(`machine: ${machine.cores} cores, ${machine.cpuModel}, node ${machine.node}`);
  const phases = new Set(String(args.phases).split(','));
  // An idle phase's RSS means something only as the first thing its server process holds: the
  // pages the one before it freed stay with the process (the viewer figure measured after the
  // messageAdded one came out negative). So the viewer idle phase runs in a server process of its
  // own, this bench with --phases viewer-idle, before this process starts its servers.
  const viewerIdleAlone = phases.has('viewer-idle') && phases.size > 1 ? await inOwnProcess('viewer-idle') : null;
  const services = await startBenchServices(log);
  cleanups.unshift(services.stop);
  const server = await startBenchServer(services, log);
  cleanups.unshift(server.stop);
  const bare = await startBareBroadcast(bareEventOf);
  cleanups.unshift(bare.stop);
  const driver = await startSubscriberDriver(Number(args['max-minutes']));
  cleanups.unshift(driver.stop);
  console.log(`server process ${process.pid}, subscriber process ${driver.pid}`);
  const bench = { server, bare, driver };

  const [latencyThread] = await seedBenchThreads(server.app, 'fanout-latency', 1);
  const throughputThreads = await seedBenchThreads(server.app, 'fanout-throughput', settings.throughput.threads);
  // Each latency viewer owns a thread it is sent to; an idle viewer is a user and its token: it
  // needs no thread to subscribe, and 10,000 inserts before the idle phase would leave their
  // freed pages in the RSS it starts from.
  const latencyViewers = phases.has('viewer-latency') ? await seedBenchThreads(server.app, 'fanout-viewer', settings.viewers.latency.viewers) : [];
  const idleViewers = phases.has('viewer-idle') && !viewerIdleAlone ? await benchViewers('fanout-idle-viewer', settings.viewers.idle.viewers) : [];
  // Idle first: RSS is measured before the other phases raise the process's high-water mark.
  const idle = phases.has('idle') ? await measureIdle(bench, threadIdleGroups(throughputThreads)) : null;
  const viewerIdle = viewerIdleAlone ?? (phases.has('viewer-idle') ? await measureIdle(bench, viewerGroups(idleViewers)) : null);
  if (args['send-to-parent']) return void (toParent = viewerIdle);
  const latency = phases.has('latency') ? await measureLatency(bench, threadLatency(latencyThread!)) : null;
  const throughput = phases.has('throughput') ? await measureThroughput(bench, throughputThreads) : null;
  // Last: the phases before it run as they did before the viewer feed had any (its 20,000
  // messages would be in Redis and Postgres under the throughput phase).
  const viewerLatency = phases.has('viewer-latency') ? await measureLatency(bench, viewerLatencyOf(latencyViewers)) : null;
  if (!latency || !throughput || !idle || !viewerIdle || !viewerLatency) {
    console.log(JSON.stringify({ latency, throughput, idle, viewers: { idle: viewerIdle, latency: viewerLatency } }, null, 2));
    return console.log('not every phase ran: no report written');
  }

  const viewerReport = { idle: viewerIdle, latency: viewerLatency };
  const report: FanoutReport = { machine, services: await services.settings(), settings, latency, throughput, idle, viewers: viewerReport };
  const written = await writeFanoutReport(report, args.out as string);
  console.log(`wrote ${written.join(', ')}`);
}

/**
 * Runs one idle phase in a bench process of its own (its own services, server and subscriber
 * process), with this run's settings, and returns its figures once that process has stopped
 * everything it started.
 */
async function inOwnProcess(phase: 'viewer-idle'): Promise<IdleFigures> {
  console.log(`${phase}: in a server process of its own`);
  const minutesLeft = Math.max(1, Math.floor(Number(args['max-minutes']) - (Date.now() - startedAt) / 60_000));
  const child = await forkChild<Reply>(siblingModule(import.meta.url, 'run'), `${phase} process`, {
    args: ['--phases', phase, '--send-to-parent', '--max-minutes', String(minutesLeft), '--idle-viewers', String(settings.viewers.idle.viewers)],
  });
  cleanups.unshift(child.stop);
  try {
    const reply = await child.nextReply(minutesLeft * 60_000);
    if (!('ok' in reply) || !reply.ok || !reply.result) throw new Error(`${phase} process failed: ${JSON.stringify(reply)}`);
    return reply.result as IdleFigures;
  } finally {
    await child.stop();
  }
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

/**
 * What a latency phase measures: `groups` subscribed, then `messages` sent one at a time going
 * round `threads`, each timed until `expected` subscribers got it.
 */
interface LatencyShape {
  label: string;
  feed: Feed;
  groups: SubscriberGroup[];
  threads: SendTarget[];
  messages: number;
  warmupMessages: number;
  expected: number;
  pauseMs: number;
}

/** 1,000 subscribers of one thread, each message to that thread. */
function threadLatency(thread: SendTarget): LatencyShape {
  const { subscribers, messages, warmupMessages, pauseMs } = settings.latency;
  const groups = [{ feed: 'messageAdded' as const, ...thread, connections: subscribers, subscriptionsPerConnection: 1 }];
  const label = `1 thread × ${subscribers} subscribers, ${messages} messages per run`;
  return { label, feed: 'messageAdded', groups, threads: [thread], messages, warmupMessages, expected: subscribers, pauseMs };
}

/** One viewerEvents subscriber per viewer; message i to viewer i's thread, so each run is one message per viewer. */
function viewerLatencyOf(viewers: SendTarget[]): LatencyShape {
  const { warmupRounds, pauseMs } = settings.viewers.latency;
  const label = `${viewers.length} viewers × 1 viewerEvents subscription, one message into each viewer's thread per run`;
  return { label, feed: 'viewerEvents', groups: viewerGroups(viewers), threads: viewers, messages: viewers.length, warmupMessages: warmupRounds * viewers.length, expected: 1, pauseMs };
}

/**
 * `count` viewers with no thread (`<label>-<i>`): their tokens. Signed one at a time: 10,000 at
 * once left 30 MB more RSS behind them, in the base the idle phase is measured from.
 */
async function benchViewers(label: string, count: number): Promise<Array<{ token: string }>> {
  const viewers = [];
  for (let i = 0; i < count; i++) viewers.push({ token: await benchUserToken(`${label}-${i}`) });
  return viewers;
}

/** Each viewer on a socket of its own (a socket is one user's), with `subscriptionsPerConnection` viewerEvents subscriptions. */
function viewerGroups(viewers: Array<{ threadId?: string; token: string }>): SubscriberGroup[] {
  const { subscriptionsPerConnection } = settings.viewers.idle;
  return viewers.map((viewer) => ({ feed: 'viewerEvents', ...viewer, connections: 1, subscriptionsPerConnection }));
}

async function measureLatency(bench: Bench, shape: LatencyShape) {
  const { feed, groups, threads, messages, warmupMessages, expected, pauseMs } = shape;
  console.log(`latency (${feed}): ${shape.label}`);
  const runs: Array<Record<Target, { p50Ms: number; p99Ms: number; maxMs: number; ackP50Ms: number; frameBytes: number | null; cpu: unknown; attempts: number; contended: boolean }>> = [];
  for (let run = 1; run <= settings.runs; run++) {
    // Each run starts with another target, so that no target always follows the same one.
    const order = TARGETS.map((_, i) => TARGETS[(i + run - 1) % TARGETS.length]!);
    const figures = {} as (typeof runs)[number];
    for (const target of order) {
      await openSubscribers(bench, target, groups);
      const sendUrl = servedByThreadline(target) ? bench.server.url : bench.bare.sendUrl;
      const job = { cmd: 'latency' as const, target, feed, sendUrl, threads, expected, pauseMs };
      await bench.driver.run<LatencyResult>({ ...job, messages: warmupMessages }, 600_000);
      const { result, cpu, attempts, contended } = await measureQuietly(() => bench.driver.run<LatencyResult>({ ...job, messages }, 600_000));
      figures[target] = {
        p50Ms: round(quantile(result.lastArrivalMs, 0.5)),
        p99Ms: round(quantile(result.lastArrivalMs, 0.99)),
        maxMs: round(Math.max(...result.lastArrivalMs)),
        ackP50Ms: round(quantile(result.ackMs, 0.5)),
        frameBytes: result.frameBytes ?? null,
        cpu,
        attempts,
        contended,
      };
      console.log(`  run ${run} ${target.padEnd(17)} p50 ${figures[target].p50Ms} ms  p99 ${figures[target].p99Ms} ms  (ack p50 ${figures[target].ackP50Ms} ms, frame ${figures[target].frameBytes ?? '?'} B)`);
      await closeSubscribers(bench);
    }
    runs.push(figures);
  }
  const medianOf = (target: Target, figure: 'p50Ms' | 'p99Ms' | 'ackP50Ms') => median(runs.map((r) => r[target][figure]));
  const medians = perTarget((target) => ({ p50Ms: medianOf(target, 'p50Ms'), p99Ms: medianOf(target, 'p99Ms'), ackP50Ms: medianOf(target, 'ackP50Ms') }));
  const ratiosOf = (target: Target) => ({ p50: round(medians[target].p50Ms / medians.bare.p50Ms), p99: round(medians[target].p99Ms / medians.bare.p99Ms) });
  return { runs, medians, ratios: ratiosOf('graphql'), libraryClientRatios: ratiosOf('graphql-ws-client') };
}

async function measureThroughput(bench: Bench, threads: Array<{ threadId: string; token: string }>) {
  const { subscribersPerThread, seconds, senders } = settings.throughput;
  console.log(`throughput: ${threads.length} threads × ${subscribersPerThread} subscribers, ${senders} senders, ${seconds} s per run`);
  const groups = threads.map((thread) => ({ feed: 'messageAdded' as const, ...thread, connections: subscribersPerThread, subscriptionsPerConnection: 1 }));
  const byTarget = {} as Record<Target, Array<{ deliveriesPerSec: number; messagesPerSec: number; missing: number; cpu: unknown; attempts: number; contended: boolean }>>;
  for (const target of TARGETS) {
    await openSubscribers(bench, target, groups);
    const sendUrl = servedByThreadline(target) ? bench.server.url : bench.bare.sendUrl;
    const job = { cmd: 'throughput' as const, target, feed: 'messageAdded' as const, sendUrl, threads, concurrency: senders, expectedPerMessage: subscribersPerThread };
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

/** The idle messageAdded subscribers: the sockets spread over the threads, each with two subscriptions. */
function threadIdleGroups(threads: SendTarget[]): SubscriberGroup[] {
  const { connections, subscriptionsPerConnection } = settings.idle;
  const perThread = Math.ceil(connections / threads.length);
  return threads.map((thread) => ({ feed: 'messageAdded', ...thread, connections: perThread, subscriptionsPerConnection }));
}

async function measureIdle(bench: Bench, groups: SubscriberGroup[]) {
  const connections = groups.reduce((sum, g) => sum + g.connections, 0);
  console.log(`idle (${groups[0]?.feed}): ${connections} sockets × ${groups[0]?.subscriptionsPerConnection} subscriptions`);
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
    if (args['send-to-parent']) process.send!(toParent ? ({ ok: true, result: toParent } satisfies Reply) : ({ ok: false, error: 'no figures' } satisfies Reply));
  });
