// npm run bench:streaming-deltas [-- --runs 5 --deltas 200 --subscribers 1,100 --out bench/results]
//
// How fast a streaming message's deltas reach subscribers: appendMessageDelta on the real server
// (buildApp: Redis draft script, pub/sub, registry, graphql-ws) → threadEvents subscribers, beside
// a bare `ws` broadcast of the same MessageDelta frame. This process holds the servers; the
// subscribers and the streamer run in a child process (loopback only, bounded in count and time).
// The behaviour (every delta delivered once, in order, then the completion) is checked by
// test/integration/realtime-streaming.test.ts; this measures the time it takes.
import { parseArgs } from 'node:util';
import pino from 'pino';
import { startBareBroadcast } from '../shared/bare-broadcast.js';
import { seedBenchThreads, startBenchServer } from '../shared/bench-server.js';
import { siblingModule, startCommandChild, type CommandChild } from '../shared/child-process.js';
import { machineInfo } from '../shared/machine.js';
import { quietly } from '../shared/quiet-runs.js';
import { startBenchServices } from '../shared/services.js';
import { median, quantile, round } from '../shared/stats.js';
import { messageDeltaEvent, TARGETS, type Command, type DeltaTimings, type Target } from './protocol.js';
import { writeStreamingDeltasReport, type LevelResult, type RunFigures } from './report.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    deltas: { type: 'string', default: '200' },
    subscribers: { type: 'string', default: '1,100' },
    'pause-ms': { type: 'string', default: '10' },
    'max-minutes': { type: 'string', default: '15' },
    out: { type: 'string', default: 'bench/results' },
  },
});
const settings = {
  runs: Number(args.runs),
  deltas: Number(args.deltas),
  warmupDeltas: 20,
  pauseMs: Number(args['pause-ms']),
  subscribers: String(args.subscribers).split(',').map(Number),
  quiet: { maxOtherCores: 0.2, maxWaitMs: 60_000, maxOtherCoresDuringRun: 0.3, maxAttempts: 3 },
};

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

async function waitUntil(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Bench {
  /** Per target: where subscribers connect, where deltas are sent, and what the server side holds. */
  urls: Record<Target, { wsUrl: string; sendUrl: string; held: () => number }>;
  client: CommandChild<Command>;
  thread: { threadId: string; token: string };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  console.log(`machine: ${machine.cores} cores, ${machine.cpuModel}, node ${machine.node}`);
  const services = await startBenchServices(log);
  cleanups.unshift(services.stop);
  const server = await startBenchServer(services, log);
  cleanups.unshift(server.stop);
  const bare = await startBareBroadcast(messageDeltaEvent);
  cleanups.unshift(bare.stop);
  const client = await startCommandChild<Command>(siblingModule(import.meta.url, 'delta-client'), 'delta client', { args: [String(args['max-minutes'])] });
  cleanups.unshift(client.stop);
  console.log(`server process ${process.pid}, client process ${client.pid}`);
  const [thread] = await seedBenchThreads(server.app, 'streaming-deltas', 1);
  const urls: Bench['urls'] = {
    threadline: { wsUrl: server.wsUrl, sendUrl: server.url, held: () => server.app.realtime.subscriptions },
    bare: { wsUrl: bare.wsUrl, sendUrl: bare.sendUrl, held: () => bare.sockets() },
  };
  const bench: Bench = { urls, client, thread: thread! };
  const levels: LevelResult[] = [];
  for (const subscribers of settings.subscribers) levels.push(await measureLevel(bench, subscribers));
  const report = { machine, services: await services.settings(), settings, levels };
  const written = await writeStreamingDeltasReport(report, args.out as string);
  console.log(`wrote ${written.join(', ')}`);
}

async function measureLevel(bench: Bench, subscribers: number): Promise<LevelResult> {
  console.log(`${subscribers} subscriber(s), ${settings.deltas} deltas per run`);
  const runs: LevelResult['runs'] = [];
  for (let run = 1; run <= settings.runs; run++) {
    // Each run starts with the other target, so that neither always follows the same one.
    const order = run % 2 ? TARGETS : [...TARGETS].reverse();
    const figures = {} as Record<Target, RunFigures>;
    for (const target of order) {
      figures[target] = await measureRun(bench, target, subscribers);
      const f = figures[target];
      console.log(`  run ${run} ${target.padEnd(10)} p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms  (ack p50 ${f.ackP50Ms} ms, after ack p50 ${f.afterAckP50Ms} ms)`);
    }
    runs.push(figures);
  }
  const medianOf = (target: Target, key: 'p50Ms' | 'p99Ms' | 'ackP50Ms' | 'afterAckP50Ms') => round(median(runs.map((r) => r[target][key])));
  const figuresOf = (target: Target) => ({ p50Ms: medianOf(target, 'p50Ms'), p99Ms: medianOf(target, 'p99Ms'), ackP50Ms: medianOf(target, 'ackP50Ms'), afterAckP50Ms: medianOf(target, 'afterAckP50Ms') });
  const medians = { threadline: figuresOf('threadline'), bare: figuresOf('bare') };
  return { subscribers, runs, medians, ratios: { p50: round(medians.threadline.p50Ms / medians.bare.p50Ms), p99: round(medians.threadline.p99Ms / medians.bare.p99Ms) } };
}

/** Opens the subscribers, warms up, measures one stream of deltas on a quiet machine, closes. */
async function measureRun({ urls, client, thread }: Bench, target: Target, subscribers: number): Promise<RunFigures> {
  const { wsUrl, sendUrl, held } = urls[target];
  await client.run({ cmd: 'open', target, wsUrl, ...thread, subscribers }, 120_000);
  await waitUntil('subscriptions to be held', () => held() === subscribers);
  const job = { cmd: 'deltas' as const, target, sendUrl, ...thread, expected: subscribers, pauseMs: settings.pauseMs };
  // The warm-up also proves every subscriber receives: the first live delta confirms the Redis channel.
  await client.run<DeltaTimings>({ ...job, deltas: settings.warmupDeltas }, 60_000);
  const { result, cpu, attempts, contended } = await quietly(settings.quiet, () => client.run<DeltaTimings>({ ...job, deltas: settings.deltas }, 300_000));
  await client.run({ cmd: 'close' }, 60_000);
  await waitUntil('subscribers to go', () => held() === 0);
  const afterAck = result.lastArrivalMs.map((arrival, i) => Math.max(0, arrival - result.ackMs[i]!));
  return {
    p50Ms: round(quantile(result.lastArrivalMs, 0.5)),
    p99Ms: round(quantile(result.lastArrivalMs, 0.99)),
    maxMs: round(Math.max(...result.lastArrivalMs)),
    ackP50Ms: round(quantile(result.ackMs, 0.5)),
    afterAckP50Ms: round(quantile(afterAck, 0.5)),
    cpu,
    attempts,
    contended,
  };
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
