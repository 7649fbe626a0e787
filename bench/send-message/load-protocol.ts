import type { BenchThread } from './servers.js';

/** One autocannon run, bounded by `durationSec`. */
export type LoadOperation = 'sendMessage' | 'sendParts' | 'alternate' | 'viewer';

export interface LoadJob {
  name: string;
  url: string;
  threads: BenchThread[];
  connections: number;
  durationSec: number;
  /** Requests per second over all connections; unset = as fast as the connections go. */
  overallRate?: number;
  contentBytes: number;
  /**
   * What to send. Default sendMessage (text); sendParts: the five-part message of payload.ts;
   * `alternate`: text and five-part sends in turn on every connection (latencies also by kind);
   * `viewer` ({ viewer { id } }) is the floor: auth + GraphQL, no storage.
   */
  operation?: LoadOperation;
  /** Offset of this job's message numbers, so every message text differs. */
  firstN: number;
  /** Return [threadId, seq, ackEpochMs] for every acknowledged message. */
  recordAcks?: boolean;
}

export interface LoadResult {
  job: string;
  durationSec: number;
  /** Successful sendMessage responses (HTTP 200 without GraphQL errors). */
  requests: number;
  /** Requests written, including those still in flight when the run ended (the server may have stored them). */
  sent: number;
  requestsPerSec: number;
  /** Exact client-side latencies of the successful responses, ms. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** autocannon's own figures (whole ms; rate-limited runs are corrected for coordinated omission). */
  autocannon: { p50: number; p99: number; requestsAverage: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  graphqlErrors: number;
  firstError?: string;
  /** CPU used during the run (filled in by run.ts): by the bench's processes, by the rest of the machine, stolen. */
  cpu?: ReturnType<typeof import('../shared/cpu-meter.js').cpuBetween>;
  /** The server process's event-loop delay during the run (filled in by run.ts), ms. */
  eventLoopDelayMs?: { p50: number; p99: number; max: number };
  /** CPU time per successful request by component (ms), from `cpu`. */
  cpuMsPerRequest?: Record<string, number> | null;
  acks?: Array<[threadId: string, seq: number, ackEpochMs: number]>;
  /** An `alternate` job's p50 of each kind, ms. */
  p50MsByKind?: { text: number; parts: number } | undefined;
}
