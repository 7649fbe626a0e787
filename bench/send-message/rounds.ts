import type { LoadOperation, LoadResult } from './load-protocol.js';
import type { PathName } from './servers.js';
import { waitForQuietMachine } from '../shared/cpu-meter.js';
import { median } from '../shared/stats.js';

export type Summary = Omit<LoadResult, 'acks' | 'firstError'>;

export interface RoundsContext {
  drive(path: PathName, label: string, durationSec: number, connections: number, operation?: LoadOperation): Promise<Summary>;
  /** Waits for the persister to drain what a FAST run queued. */
  settle(): Promise<{ backlogAtEnd: number | null; catchUpMs: number }>;
  rounds: number;
  durationSec: number;
  /** Concurrency levels, each measured FAST then NAIVE in every round. */
  connections: number[];
  quiet: { maxOtherCores: number; maxWaitMs: number; maxOtherCoresDuringRun: number; maxAttempts: number };
}

interface Round {
  round: number;
  attempts: number;
  /** Still run while other processes were busy, after maxAttempts. */
  contended: boolean;
  levels: Array<{
    connections: number;
    FAST: Summary;
    NAIVE: Summary;
    /** `{ viewer { id } }` on the FAST server: what any authenticated GraphQL request costs here, with no storage. */
    FLOOR: Summary;
    /** FAST with the five-part message (text, tool call, tool result, reasoning, file). */
    FAST_PARTS: Summary;
    /**
     * FAST with text and five-part sends in turn on every connection: the two kinds side by side
     * in one run, so the host's drift between runs does not enter their ratio.
     */
    FAST_ALTERNATING: Summary;
    persisterAfterFast: Awaited<ReturnType<RoundsContext['settle']>>;
  }>;
}

/**
 * `rounds` rounds; in each, for every concurrency level, a FAST run then a NAIVE run, so drift
 * over time hits both paths alike. On a shared machine, a round during which other processes
 * used CPU is run again (at most quiet.maxAttempts times) and kept, flagged, only if no quiet
 * attempt came. Medians are taken across rounds, per path and level.
 */
export async function runAlternatingRounds(ctx: RoundsContext) {
  const rounds: Round[] = [];
  const discarded: Round[] = [];
  for (let round = 1; round <= ctx.rounds; round++) {
    for (let attempt = 1; ; attempt++) {
      const quiet = await waitForQuietMachine(ctx.quiet.maxOtherCores, ctx.quiet.maxWaitMs);
      if (quiet.waitedMs > 1_500) console.log(`  waited ${quiet.waitedMs} ms for a quiet machine (others: ${quiet.otherCores} cores)`);
      const levels: Round['levels'] = [];
      for (const connections of ctx.connections) {
        const FAST = await ctx.drive('FAST', `r${round} c${connections}`, ctx.durationSec, connections);
        const persisterAfterFast = await ctx.settle();
        const NAIVE = await ctx.drive('NAIVE', `r${round} c${connections}`, ctx.durationSec, connections);
        const FLOOR = await ctx.drive('FAST', `r${round} c${connections} floor`, ctx.durationSec, connections, 'viewer');
        const FAST_PARTS = await ctx.drive('FAST', `r${round} c${connections} 5 parts`, ctx.durationSec, connections, 'sendParts');
        await ctx.settle();
        const FAST_ALTERNATING = await ctx.drive('FAST', `r${round} c${connections} text and 5 parts in turn`, ctx.durationSec, connections, 'alternate');
        await ctx.settle();
        levels.push({ connections, FAST, NAIVE, FLOOR, FAST_PARTS, FAST_ALTERNATING, persisterAfterFast });
      }
      const contended = levels.some((level) =>
        [level.FAST, level.NAIVE, level.FLOOR, level.FAST_PARTS, level.FAST_ALTERNATING].some((run) => (run.cpu?.otherCores ?? 0) > ctx.quiet.maxOtherCoresDuringRun),
      );
      if (contended && attempt < ctx.quiet.maxAttempts) {
        console.log(`  round ${round}: other processes used CPU during the round; running it again`);
        discarded.push({ round, attempts: attempt, contended, levels });
        continue;
      }
      rounds.push({ round, attempts: attempt, contended, levels });
      break;
    }
  }
  return { levels: ctx.connections.map((connections) => summarise(rounds, connections)), rounds, discarded };
}

function summarise(rounds: Round[], connections: number) {
  const runs = rounds.map((round) => round.levels.find((level) => level.connections === connections)!);
  const medianOf = (path: PathName | 'FLOOR' | 'FAST_PARTS') => ({
    p50Ms: median(runs.map((r) => r[path].latencyMs.p50)),
    p99Ms: median(runs.map((r) => r[path].latencyMs.p99)),
    requestsPerSec: median(runs.map((r) => r[path].requestsPerSec)),
    cpuMsPerRequest: medianRecord(runs.map((r) => r[path].cpuMsPerRequest ?? {})),
    eventLoopDelayMs: medianRecord(runs.map((r) => r[path].eventLoopDelayMs ?? {})),
  });
  const FAST = medianOf('FAST');
  const NAIVE = medianOf('NAIVE');
  const FLOOR = medianOf('FLOOR');
  const FAST_PARTS = medianOf('FAST_PARTS');
  // Per run, then the median across rounds: each ratio is of two kinds measured in the same run.
  const alternating = runs.map((r) => r.FAST_ALTERNATING.p50MsByKind!);
  return {
    connections,
    medians: { FAST, NAIVE, FLOOR, FAST_PARTS },
    ratios: {
      p50: FAST.p50Ms / NAIVE.p50Ms, p99: FAST.p99Ms / NAIVE.p99Ms, requestsPerSec: FAST.requestsPerSec / NAIVE.requestsPerSec,
      partsOverTextP50: FAST_PARTS.p50Ms / FAST.p50Ms,
      partsOverTextP50Alternating: median(alternating.map((kinds) => kinds.parts / kinds.text)),
      fastMinusFloorP50Ms: FAST.p50Ms - FLOOR.p50Ms,
    },
    alternating: { textP50Ms: median(alternating.map((kinds) => kinds.text)), partsP50Ms: median(alternating.map((kinds) => kinds.parts)) },
    perRound: runs.map((r, i) => ({
      round: rounds[i]!.round,
      FAST: { p50Ms: r.FAST.latencyMs.p50, p99Ms: r.FAST.latencyMs.p99, requestsPerSec: r.FAST.requestsPerSec, otherCores: r.FAST.cpu?.otherCores },
      NAIVE: { p50Ms: r.NAIVE.latencyMs.p50, p99Ms: r.NAIVE.latencyMs.p99, requestsPerSec: r.NAIVE.requestsPerSec, otherCores: r.NAIVE.cpu?.otherCores },
      FLOOR: { p50Ms: r.FLOOR.latencyMs.p50, p99Ms: r.FLOOR.latencyMs.p99, requestsPerSec: r.FLOOR.requestsPerSec, otherCores: r.FLOOR.cpu?.otherCores },
      FAST_PARTS: { p50Ms: r.FAST_PARTS.latencyMs.p50, p99Ms: r.FAST_PARTS.latencyMs.p99, requestsPerSec: r.FAST_PARTS.requestsPerSec, otherCores: r.FAST_PARTS.cpu?.otherCores },
      FAST_ALTERNATING: { ...r.FAST_ALTERNATING.p50MsByKind!, otherCores: r.FAST_ALTERNATING.cpu?.otherCores },
    })),
  };
}

function medianRecord(records: Array<Record<string, number>>): Record<string, number> {
  const keys = [...new Set(records.flatMap((record) => Object.keys(record)))];
  return Object.fromEntries(keys.map((key) => [key, median(records.map((record) => record[key] ?? Number.NaN))]));
}

export type RoundsResult = Awaited<ReturnType<typeof runAlternatingRounds>>;
