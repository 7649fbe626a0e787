import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

type Pair<T> = { graphql: T; bare: T };

/** Everything the fanout bench measured; written as JSON and summarised as Markdown. */
export interface FanoutReport {
  machine: Record<string, unknown>;
  services: { postgres: Record<string, string>; redis: Record<string, string> };
  settings: Record<string, unknown>;
  latency: { runs: unknown[]; medians: Pair<{ p50Ms: number; p99Ms: number }>; ratios: { p50: number; p99: number } };
  throughput: { runs: unknown; medians: Pair<{ deliveriesPerSec: number }>; cores: Pair<{ serverMain: number; subscriberProcess: number }>; ratio: number };
  idle: {
    sockets: number;
    subscribers: number;
    perSubscriberKB: { rss: number; heapUsed: number; external: number };
    memory: unknown;
  };
  targets?: Record<string, { target: string; actual: number; met: boolean }>;
}

/** The targets, judged on the medians. */
function judge(report: FanoutReport): NonNullable<FanoutReport['targets']> {
  const { latency, throughput, idle } = report;
  return {
    p99VsBare: { target: '≤ 2× bare broadcast', actual: latency.ratios.p99, met: latency.ratios.p99 <= 2 },
    p99Absolute: { target: '< 50 ms', actual: latency.medians.graphql.p99Ms, met: latency.medians.graphql.p99Ms < 50 },
    throughputVsBare: { target: '≥ 0.5× bare broadcast', actual: throughput.ratio, met: throughput.ratio >= 0.5 },
    memoryPerSubscriberRss: { target: '≤ 30 KB (RSS)', actual: idle.perSubscriberKB.rss, met: idle.perSubscriberKB.rss <= 30 },
    memoryPerSubscriberHeap: { target: '≤ 30 KB (V8 heap used)', actual: idle.perSubscriberKB.heapUsed, met: idle.perSubscriberKB.heapUsed <= 30 },
  };
}

export async function writeFanoutReport(report: FanoutReport, directory: string): Promise<string[]> {
  const judged = { ...report, targets: judge(report) };
  await mkdir(directory, { recursive: true });
  const json = path.join(directory, 'fanout.json');
  const markdown = path.join(directory, 'fanout.md');
  await writeFile(json, `${JSON.stringify(judged, null, 2)}\n`);
  await writeFile(markdown, summary(judged));
  return [json, markdown];
}

/** Runs during which other processes used the CPU on every attempt: their figures are flagged. */
function contendedRuns(runs: unknown): string {
  const all = (Array.isArray(runs) ? runs.flatMap((run) => Object.values(run as object)) : Object.values(runs as object).flat()) as Array<{ contended?: boolean }>;
  return `${all.filter((run) => run.contended).length} of ${all.length}`;
}

function summary(report: FanoutReport & { targets: NonNullable<FanoutReport['targets']> }): string {
  const { latency, throughput, idle, machine, settings } = report;
  const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [
    '# Real-time fan-out',
    '',
    `Measured ${machine.date} on ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ${machine.runtime}. Medians of ${settings.runs} runs;`,
    'the server (buildApp: graphql-ws, subscription registry, Redis pub/sub) and a bare `ws` broadcast of the same frames',
    'run in one process, subscribers and senders in a child process, on loopback. Full figures: `fanout.json`.',
    '',
    '## Latency: sendMessage → last of 1,000 subscribers of one thread',
    '',
    row(['', 'p50 ms', 'p99 ms']),
    row(['---', '---', '---']),
    row(['Threadline (graphql-ws)', latency.medians.graphql.p50Ms, latency.medians.graphql.p99Ms]),
    row(['bare ws broadcast', latency.medians.bare.p50Ms, latency.medians.bare.p99Ms]),
    row(['ratio', latency.ratios.p50, latency.ratios.p99]),
    '',
    `Measurements taken while other processes used the CPU on every attempt: ${contendedRuns(latency.runs)}.`,
    '',
    '## Throughput: 100 threads × 100 subscribers',
    '',
    row(['', 'deliveries/s', 'server event loop (cores)', 'subscriber process (cores)']),
    row(['---', '---', '---', '---']),
    row(['Threadline (graphql-ws)', throughput.medians.graphql.deliveriesPerSec, throughput.cores.graphql.serverMain, throughput.cores.graphql.subscriberProcess]),
    row(['bare ws broadcast', throughput.medians.bare.deliveriesPerSec, throughput.cores.bare.serverMain, throughput.cores.bare.subscriberProcess]),
    row(['ratio', throughput.ratio, '', '']),
    '',
    `Measurements taken while other processes used the CPU on every attempt: ${contendedRuns(throughput.runs)}.`,
    '',
    `## Idle: ${idle.subscribers.toLocaleString('en')} subscribers on ${idle.sockets.toLocaleString('en')} sockets in one server process`,
    '',
    `Per subscriber, after a full GC: RSS ${idle.perSubscriberKB.rss} KB, V8 heap used ${idle.perSubscriberKB.heapUsed} KB,`,
    `external ${idle.perSubscriberKB.external} KB (socket costs included, split over its subscriptions). Two subscriptions`,
    'per socket because this machine allows 20,000 open files per process.',
    '',
    '## Targets (issue 4)',
    '',
    row(['target', 'wanted', 'measured', 'met']),
    row(['---', '---', '---', '---']),
    ...Object.entries(report.targets).map(([name, t]) => row([name, t.target, t.actual, t.met ? 'yes' : '**no**'])),
    '',
  ].join('\n');
}
