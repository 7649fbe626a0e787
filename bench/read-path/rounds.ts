import type { GraphqlLoadDriver } from '../shared/graphql-load-driver.js';
import type { GraphqlLoadResult } from '../shared/graphql-load-protocol.js';
import { quietly, type QuietSettings } from '../shared/quiet-runs.js';
import { median } from '../shared/stats.js';
import type { BenchCase } from './requests.js';

export type ServerName = 'threadline' | 'floor';
const SERVERS: ServerName[] = ['threadline', 'floor'];

export interface RoundSettings {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  connections: number;
  quiet: QuietSettings;
}

/** One measured run of one case on one server. */
export interface CaseRun {
  result: GraphqlLoadResult;
  /** CPU ms per successful request, by component (cpu-meter parts). */
  cpuMsPerRequest: Record<string, number>;
  otherCores: number | null;
  attempts: number;
  contended: boolean;
}

/**
 * Warm-up, then `rounds` rounds; in each, every case on both servers, one after the other (the
 * order flips every round), so drift over time hits both alike. Each run is measured on a quiet
 * machine and run again if other processes used the CPU meanwhile (quietly). Any error fails the run.
 */
export async function runAlternatingRounds(driver: GraphqlLoadDriver, urls: Record<ServerName, string>, cases: BenchCase[], settings: RoundSettings) {
  const drive = async (server: ServerName, benchCase: BenchCase, label: string, durationSec: number): Promise<CaseRun> => {
    const name = `${benchCase.name} ${server} ${label}`;
    const run = await quietly(settings.quiet, () =>
      driver.run({ name, url: urls[server], connections: settings.connections, durationSec, requests: benchCase.requests }),
    );
    const { result, cpu } = run;
    if (result.graphqlErrors || result.errors || result.timeouts) {
      throw new Error(`${name}: ${result.graphqlErrors} GraphQL/HTTP errors, ${result.errors} socket errors, ${result.timeouts} timeouts; first: ${result.firstError}`);
    }
    const cpuMsPerRequest = Object.fromEntries(Object.entries(cpu?.parts ?? {}).map(([part, cores]) => [part, (cores * 1000) / result.requestsPerSec]));
    console.log(`  ${name.padEnd(36)} ${result.requestsPerSec.toFixed(0).padStart(5)} rps  p50 ${result.latencyMs.p50.toFixed(2)} ms  p99 ${result.latencyMs.p99.toFixed(2)} ms  others ${cpu?.otherCores ?? '?'} cores`);
    return { result, cpuMsPerRequest, otherCores: cpu?.otherCores ?? null, attempts: run.attempts, contended: run.contended };
  };

  console.log('warm-up');
  for (const benchCase of cases) for (const server of SERVERS) await drive(server, benchCase, 'warm-up', settings.warmupSec);

  const runs = new Map<string, Record<ServerName, CaseRun[]>>(cases.map((c) => [c.name, { threadline: [], floor: [] }]));
  for (let round = 1; round <= settings.rounds; round++) {
    console.log(`round ${round} of ${settings.rounds}`);
    const order = round % 2 ? SERVERS : [...SERVERS].reverse();
    for (const benchCase of cases) {
      for (const server of order) runs.get(benchCase.name)![server].push(await drive(server, benchCase, `r${round}`, settings.durationSec));
    }
  }
  return cases.map((benchCase) => summarise(benchCase.name, runs.get(benchCase.name)!));
}

function summarise(name: string, runs: Record<ServerName, CaseRun[]>) {
  const medians = Object.fromEntries(SERVERS.map((server) => [server, mediansOf(runs[server])])) as Record<ServerName, ReturnType<typeof mediansOf>>;
  return {
    case: name,
    medians,
    ratios: {
      requestsPerSec: medians.threadline.requestsPerSec / medians.floor.requestsPerSec,
      p50: medians.threadline.p50Ms / medians.floor.p50Ms,
      p99: medians.threadline.p99Ms / medians.floor.p99Ms,
    },
    perRound: runs,
  };
}

function mediansOf(runs: CaseRun[]) {
  const parts = [...new Set(runs.flatMap((run) => Object.keys(run.cpuMsPerRequest)))];
  return {
    requestsPerSec: median(runs.map((run) => run.result.requestsPerSec)),
    p50Ms: median(runs.map((run) => run.result.latencyMs.p50)),
    p99Ms: median(runs.map((run) => run.result.latencyMs.p99)),
    meanResponseBytes: median(runs.map((run) => run.result.meanResponseBytes)),
    cpuMsPerRequest: Object.fromEntries(parts.map((part) => [part, median(runs.map((run) => run.cpuMsPerRequest[part] ?? Number.NaN))])),
  };
}

export type CaseSummary = ReturnType<typeof summarise>;
