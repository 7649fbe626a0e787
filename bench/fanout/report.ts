import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Target } from './protocol.js';

type PerTarget<T> = Record<Target, T>;

/** A latency phase: per target, the medians over the runs of each run's p50 and p99. */
interface LatencyFigures {
  runs: unknown[];
  medians: PerTarget<{ p50Ms: number; p99Ms: number; ackP50Ms: number }>;
  /** `graphql` over `bare`: what the targets judge. */
  ratios: { p50: number; p99: number };
  libraryClientRatios: { p50: number; p99: number };
}

/** An idle phase: the server process's memory after a full GC, per subscription held. */
export interface IdleFigures {
  sockets: number;
  subscribers: number;
  perSubscriberKB: { rss: number; heapUsed: number; external: number };
  memory: unknown;
}

/** Everything the fanout bench measured; written as JSON and summarised as Markdown. */
export interface FanoutReport {
  machine: Record<string, unknown>;
  services: { postgres: Record<string, string>; redis: Record<string, string> };
  settings: {
    runs: number;
    latency: { subscribers: number };
    throughput: { threads: number; subscribersPerThread: number };
    viewers: { idle: { viewers: number }; latency: { viewers: number; warmupRounds: number; pauseMs: number } };
  };
  latency: LatencyFigures;
  throughput: {
    runs: unknown;
    medians: PerTarget<{ deliveriesPerSec: number }>;
    cores: PerTarget<{ serverMain: number; subscriberProcess: number }>;
    ratio: number;
    libraryClientRatio: number;
  };
  idle: IdleFigures;
  /** The viewer feed (viewerEvents): one subscription per viewer. Not judged: issue 4's targets are the thread's. */
  viewers: { idle: IdleFigures; latency: LatencyFigures };
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

/**
 * Runs during which other processes used the CPU on every attempt (their figures are flagged),
 * and the most CPU the hypervisor took from the machine during a kept run (steal: not another
 * process here, so it does not make a run contended, but the bench had that much less).
 */
function contendedRuns(runs: unknown): string {
  const all = (Array.isArray(runs) ? runs.flatMap((run) => Object.values(run as object)) : Object.values(runs as object).flat()) as Array<{ contended?: boolean; cpu?: { stealCores?: number } | null }>;
  const steal = Math.max(0, ...all.map((run) => run.cpu?.stealCores ?? 0));
  return `${all.filter((run) => run.contended).length} of ${all.length}; CPU stolen by the hypervisor during a run: up to ${steal} cores`;
}

const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
const kB = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en')}`;

/** The frame sizes the protocol-level reader saw for a target, over the runs. */
function frameBytesOf(latency: LatencyFigures, target: Target): string {
  const sizes = (latency.runs as Array<Record<Target, { frameBytes?: number | null }>>).map((run) => run[target]?.frameBytes).filter((n) => n != null);
  const [min, max] = [Math.min(...sizes), Math.max(...sizes)];
  return sizes.length === 0 ? 'not recorded' : min === max ? String(min) : `${min}–${max}`;
}

/** A latency phase's table, its ack column and its contention line. */
function latencyTable(latency: LatencyFigures): string[] {
  const { medians } = latency;
  const latencyRow = (label: string, target: Target, ratios: { p50: number; p99: number }) =>
    row([label, medians[target].p50Ms, medians[target].p99Ms, ratios.p50, ratios.p99, medians[target].ackP50Ms]);
  return [
    row(['', 'p50 ms', 'p99 ms', 'p50 ratio', 'p99 ratio', 'send answered, p50 ms']),
    row(['---', '---', '---', '---', '---', '---']),
    latencyRow('Threadline, protocol-level client', 'graphql', latency.ratios),
    latencyRow('Threadline, graphql-ws client library', 'graphql-ws-client', latency.libraryClientRatios),
    latencyRow('bare ws broadcast', 'bare', { p50: 1, p99: 1 }),
    '',
    `Frame sizes (the last \`next\` frame of a run, bytes): Threadline ${frameBytesOf(latency, 'graphql')}, bare ${frameBytesOf(latency, 'bare')}; the`,
    'payloads are the same size: the bare frame carries a 36-character operation ID (a UUID, as the graphql-ws',
    'library makes), where the protocol-level client numbers its operations.',
    `Measurements taken while other processes used the CPU on every attempt: ${contendedRuns(latency.runs)}.`,
  ];
}

/** What an idle figure is: one measurement. */
const IDLE_NOISE = [
  'Each idle figure is one measurement, not a median: from one run to the next the RSS difference',
  'moves by several KB per subscription on this machine, the heap figure by a few tenths.',
];

/** An idle phase's memory, per subscription, and what it was measured from. */
function idleFigures(idle: IdleFigures): string[] {
  const { base, held } = idle.memory as Record<'base' | 'held', { rss: number; heapUsed: number; external: number }>;
  return [
    `Per subscription, after a full GC: RSS ${idle.perSubscriberKB.rss} KB, V8 heap used ${idle.perSubscriberKB.heapUsed} KB,`,
    `external ${idle.perSubscriberKB.external} KB (socket costs included, split over its subscriptions; the server process`,
    `went from ${kB(base.rss)} to ${kB(held.rss)} KB RSS and ${kB(base.heapUsed)} to ${kB(held.heapUsed)} KB heap used).`,
  ];
}

function summary(report: FanoutReport & { targets: NonNullable<FanoutReport['targets']> }): string {
  const { latency, throughput, idle, machine, settings, viewers } = report;
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
    ...latencyTable(latency),
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
    ...idleFigures(idle),
    'Two subscriptions per socket because this machine allows 20,000 open files per process.',
    ...IDLE_NOISE,
    '',
    ...viewerSections(viewers, settings.viewers, idle),
    '## Targets (issue 4)',
    '',
    row(['target', 'wanted', 'measured', 'met']),
    row(['---', '---', '---', '---']),
    ...Object.entries(report.targets).map(([name, t]) => row([name, t.target, t.actual, t.met ? 'yes' : '**no**'])),
    '',
  ].join('\n');
}

/** The viewer feed's sections: viewerEvents, one subscription per viewer. */
function viewerSections(viewers: FanoutReport['viewers'], settings: FanoutReport['settings']['viewers'], threadIdle: IdleFigures): string[] {
  const { idle, latency } = viewers;
  const idleBeside = `messageAdded: RSS ${threadIdle.perSubscriberKB.rss} KB, heap used ${threadIdle.perSubscriberKB.heapUsed} KB per subscriber`;
  const count = settings.latency.viewers.toLocaleString('en');
  return [
    '## The viewer feed: `viewerEvents`, one subscription per viewer',
    '',
    'Each viewer is a user of its own, subscribed on a socket of its own (a socket is one user\'s) with',
    '`subscription { viewerEvents { __typename ... on ThreadActivity { cursor threadId',
    'unreadCount lastMessage { id seq content createdAt } } } }`: what a thread list shows for a new message.',
    '`unreadCount` is read when the event is delivered, so each event costs its viewer one thread read',
    '(Postgres) and goes through graphql-ws\'s own per-subscriber path rather than a shared frame. Events',
    'are not shared between viewers: every viewer\'s event is its own Redis channel message and its own',
    'execution. The bare broadcast sends the same `next` payload (same fields and sizes) to the one socket',
    'of the thread named in the POST. Not judged against issue 4\'s targets, which are the thread\'s.',
    '',
    `### Idle: ${idle.subscribers.toLocaleString('en')} viewerEvents subscriptions on ${idle.sockets.toLocaleString('en')} sockets, ${idle.subscribers.toLocaleString('en')} viewers`,
    '',
    ...idleFigures(idle),
    'Measured in a server process of its own (the bench with `--phases viewer-idle`, run before the',
    'rest), as the first thing that process holds: after another idle phase, the pages that phase freed',
    'stay with the process and the RSS difference means nothing. One subscription per socket, so each',
    `carries a whole socket, where a messageAdded subscriber above carries half of one (${idleBeside}).`,
    'The idle viewers own no thread (subscribing needs none); the latency viewers own one each.',
    ...IDLE_NOISE,
    '',
    `### Latency: sendMessage → that viewer's feed, ${count} viewers`,
    '',
    `${count} viewers subscribed; a single sender sends one message into each viewer's thread in turn`,
    `(as that viewer, one request at a time, ${settings.latency.pauseMs} ms apart), each timed from just before the request to`,
    `its ThreadActivity arriving at that viewer's subscriber. One run is one message per viewer (${count}`,
    `messages), after ${settings.latency.warmupRounds} warm-up round(s) of the same; p50 and p99 are over a run's messages, and the`,
    'table gives their medians over the runs. Sockets are opened afresh for each target in each run.',
    'Bare: the same sends, each broadcast to the one socket of that thread. This phase runs last, after',
    'the throughput phase, so that the phases before it run as they did before it existed.',
    'The bare broadcast writes the frame before it answers the POST, so its two columns are one;',
    'Threadline answers sendMessage once Redis has sequenced the message (and appended it to the feed),',
    'and the frame follows: the p50 less the answer\'s p50 is the delivery through pub/sub and the feed.',
    '',
    ...latencyTable(latency),
    '',
  ];
}
