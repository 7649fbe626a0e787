import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Target } from './protocol.js';

type PerTarget<T> = Record<Target, T>;

/** Everything the fanout bench measured; written as JSON and summarised as Markdown. */
export interface FanoutReport {
  machine: Record<string, unknown>;
  services: { postgres: Record<string, string>; redis: Record<string, string> };
  settings: { runs: number; latency: { subscribers: number }; throughput: { threads: number; subscribersPerThread: number } };
  latency: {
    runs: unknown[];
    medians: PerTarget<{ p50Ms: number; p99Ms: number }>;
    /** `graphql` over `bare`: what the targets judge. */
    ratios: { p50: number; p99: number };
    libraryClientRatios: { p50: number; p99: number };
  };
  throughput: {
    runs: unknown;
    medians: PerTarget<{ deliveriesPerSec: number }>;
    cores: PerTarget<{ serverMain: number; subscriberProcess: number }>;
    ratio: number;
    libraryClientRatio: number;
  };
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
  const throughputRow = (label: string, target: Target, ratio: number) =>
    row([label, throughput.medians[target].deliveriesPerSec, ratio, throughput.cores[target].serverMain, throughput.cores[target].subscriberProcess]);
  return [
    '# Real-time fan-out',
    '',
    `Measured ${machine.date} on ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ${machine.runtime}. Medians of ${settings.runs} runs;`,
    'the server (buildApp: graphql-ws, subscription registry, Redis pub/sub) and a bare `ws` broadcast of the same frames',
    'run in one process, subscribers and senders in a child process, on loopback. Full figures: `fanout.json`.',
    '',
    'Subscribers read the server with a protocol-level client, the same raw `ws` + `JSON.parse` that',
    'reads the bare broadcast, so the two differ only in the server: the targets are judged on that row.',
    'The graphql-ws client library row is the same server read by 1,000 (or 10,000) library clients in',
    'one process: that process\'s own per-frame work is part of its figures.',
    '',
    `## Latency: sendMessage → last of ${settings.latency.subscribers.toLocaleString('en')} subscribers of one thread`,
    '',
    row(['', 'p50 ms', 'p99 ms', 'p50 ratio', 'p99 ratio']),
    row(['---', '---', '---', '---', '---']),
    row(['Threadline, protocol-level client', latency.medians.graphql.p50Ms, latency.medians.graphql.p99Ms, latency.ratios.p50, latency.ratios.p99]),
    row(['Threadline, graphql-ws client library', latency.medians['graphql-ws-client'].p50Ms, latency.medians['graphql-ws-client'].p99Ms, latency.libraryClientRatios.p50, latency.libraryClientRatios.p99]),
    row(['bare ws broadcast', latency.medians.bare.p50Ms, latency.medians.bare.p99Ms, 1, 1]),
    '',
    `Measurements taken while other processes used the CPU on every attempt: ${contendedRuns(latency.runs)}.`,
    '',
    `## Throughput: ${settings.throughput.threads} threads × ${settings.throughput.subscribersPerThread} subscribers`,
    '',
    row(['', 'deliveries/s', 'ratio', 'server event loop (cores)', 'subscriber process (cores)']),
    row(['---', '---', '---', '---', '---']),
    throughputRow('Threadline, protocol-level client', 'graphql', throughput.ratio),
    throughputRow('Threadline, graphql-ws client library', 'graphql-ws-client', throughput.libraryClientRatio),
    throughputRow('bare ws broadcast', 'bare', 1),
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
