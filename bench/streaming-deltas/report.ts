import type { Target } from './protocol.js';
import { writeResultFiles } from '../shared/result-files.js';

/** One target's figures for one run, in ms. */
export interface RunFigures {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  ackP50Ms: number;
  /** Median of how long after the append's answer the delta reached the last subscriber (0 when before). */
  afterAckP50Ms: number;
  cpu: unknown;
  attempts: number;
  contended: boolean;
}

export interface LevelResult {
  subscribers: number;
  runs: Array<Record<Target, RunFigures>>;
  medians: Record<Target, { p50Ms: number; p99Ms: number; ackP50Ms: number; afterAckP50Ms: number }>;
  /** threadline over bare. */
  ratios: { p50: number; p99: number };
}

export interface StreamingDeltasReport {
  machine: Record<string, unknown>;
  services: { postgres: Record<string, string>; redis: Record<string, string> };
  settings: { runs: number; deltas: number; warmupDeltas: number; pauseMs: number; subscribers: number[] };
  levels: LevelResult[];
}

export async function writeStreamingDeltasReport(report: StreamingDeltasReport, directory: string): Promise<string[]> {
  const files = await writeResultFiles(directory, 'streaming-deltas', report, summary(report));
  return [files.json, files.markdown];
}

function summary(report: StreamingDeltasReport): string {
  const { machine, settings, levels } = report;
  const row = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  const contended = levels.flatMap((level) => level.runs.flatMap((run) => Object.values(run))).filter((run) => run.contended).length;
  const total = levels.reduce((sum, level) => sum + level.runs.length * Object.keys(level.medians).length, 0);
  const lines = levels.flatMap((level) => [
    row([level.subscribers, 'Threadline', level.medians.threadline.p50Ms, level.medians.threadline.p99Ms, level.medians.threadline.ackP50Ms, level.medians.threadline.afterAckP50Ms, level.ratios.p50, level.ratios.p99]),
    row([level.subscribers, 'bare ws broadcast', level.medians.bare.p50Ms, level.medians.bare.p99Ms, level.medians.bare.ackP50Ms, level.medians.bare.afterAckP50Ms, 1, 1]),
  ]);
  return [
    '# Streaming deltas',
    '',
    `Measured ${machine.date} on ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ${machine.runtime}. Medians of ${settings.runs} runs`,
    `of ${settings.deltas} deltas (${settings.pauseMs} ms apart, after ${settings.warmupDeltas} warm-up deltas), one streaming message per run.`,
    'Each delta is timed from just before `appendMessageDelta` is sent to its arrival at the last subscriber of',
    'threadEvents; the bare `ws` broadcast sends the same MessageDelta frame for a plain POST, read by the same',
    'protocol-level client, so the two differ only in the server. Full figures: `streaming-deltas.json`.',
    '',
    row(['subscribers', '', 'p50 ms', 'p99 ms', 'ack p50 ms', 'after ack p50 ms', 'p50 ratio', 'p99 ratio']),
    row(['---', '---', '---', '---', '---', '---', '---', '---']),
    ...lines,
    '',
    '"after ack": how long after the append was answered the delta reached the last subscriber (0 when it',
    'arrived first: the delta is published inside the append).',
    '',
    `Measurements taken while other processes used the CPU on every attempt: ${contended} of ${total}.`,
    '',
  ].join('\n');
}
