import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { LoadDriver } from './load-driver.js';
import type { LoadJob, LoadResult } from './load-protocol.js';
import type { BenchServer, BenchThread } from './servers.js';
import { histogramQuantile, quantile } from '../shared/stats.js';

const LAG_METRIC = 'threadline_persist_lag_seconds';

export interface LagSettings {
  connections: number;
  durationSec: number;
  contentBytes: number;
  /** Fraction of the saturation throughput to drive at. */
  loadFraction: number;
  /** How often Postgres is polled for the threads' committed last_seq, ms. */
  pollMs: number;
  /** Longest wait after the run for every acked message to show up in Postgres, ms. */
  settleTimeoutMs: number;
}

/**
 * (3) Ack-to-Postgres lag at a fixed rate. Measured twice: from the server's own
 * threadline_persist_lag_seconds histogram (diffed across the run), and directly: the load
 * client stamps each ack (thread, seq, time) and this process polls the threads' committed
 * `last_seq` (the persister moves it in the same statement as the insert), so a message's lag
 * is the first poll that sees it minus its ack: an upper bound, within one poll interval.
 */
export async function measurePersistLag(
  databaseUrl: string,
  fast: BenchServer,
  driver: LoadDriver,
  threads: BenchThread[],
  rate: number,
  firstN: number,
  settings: LagSettings,
) {
  const before = await scrapeHistogram(fast.metricsUrl);
  const poller = await startCommitPoller(databaseUrl, threads, settings.pollMs);
  let load: LoadResult;
  try {
    const job: LoadJob = {
      name: 'FAST fixed-rate',
      url: fast.url,
      threads,
      connections: settings.connections,
      durationSec: settings.durationSec,
      overallRate: Math.max(1, Math.round(rate)),
      contentBytes: settings.contentBytes,
      firstN,
      recordAcks: true,
    };
    load = await driver.run(job);
    const acks = load.acks ?? [];
    await poller.waitFor(acks, settings.settleTimeoutMs);
  } finally {
    await poller.stop();
  }
  const after = await scrapeHistogram(fast.metricsUrl);
  const lagsMs = (load.acks ?? []).map(([threadId, seq, ackAt]) => poller.committedAt(threadId, seq) - ackAt);
  const unseen = lagsMs.filter((lag) => !Number.isFinite(lag)).length;
  const seen = lagsMs.filter(Number.isFinite);
  const buckets = before.map((bucket, i) => ({ le: bucket.le, count: (after[i]?.count ?? 0) - bucket.count }));
  const fromHistogram = histogramQuantile(buckets, 0.99);
  const { acks: _acks, ...loadSummary } = load;
  return {
    targetRate: Math.round(rate),
    achievedRate: load.requestsPerSec,
    load: loadSummary,
    direct: {
      messages: seen.length,
      notSeenInPostgres: unseen,
      pollMs: settings.pollMs,
      lagMs: { p50: quantile(seen, 0.5), p90: quantile(seen, 0.9), p99: quantile(seen, 0.99), max: quantile(seen, 1) },
    },
    histogram: {
      observations: buckets.at(-1)?.count ?? 0,
      p99EstimateSec: fromHistogram.estimate,
      p99BucketUpperBoundSec: fromHistogram.upperBound,
      buckets,
    },
  };
}

/** Cumulative buckets of the lag histogram from the server's /metrics. */
async function scrapeHistogram(metricsUrl: string): Promise<Array<{ le: number; count: number }>> {
  const text = await (await fetch(metricsUrl)).text();
  const pattern = new RegExp(`^${LAG_METRIC}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm');
  return [...text.matchAll(pattern)].map((match) => ({
    le: match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]),
    count: Number(match[2]),
  }));
}

/**
 * Polls `select id, last_seq from threads` for the bench threads on a connection of its own and
 * remembers, per thread, when each last_seq was first seen (epoch ms, at the end of the poll).
 */
async function startCommitPoller(databaseUrl: string, threads: BenchThread[], pollMs: number) {
  // A connection of its own, so the poller never takes a slot in the server's pool.
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const ids = threads.map((thread) => thread.threadId);
  const seen = new Map<string, Array<[seq: number, at: number]>>(ids.map((id) => [id, []]));
  let running = true;
  const poll = async () => {
    const { rows } = await client.query<{ id: string; last_seq: number }>('select id, last_seq from threads where id = any($1)', [ids]);
    const at = performance.timeOrigin + performance.now();
    for (const row of rows) {
      const history = seen.get(row.id) as Array<[number, number]>;
      if ((history.at(-1)?.[0] ?? -1) < row.last_seq) history.push([row.last_seq, at]);
    }
  };
  const loop = (async () => {
    while (running) {
      await poll();
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  })();
  const committedAt = (threadId: string, seq: number): number => {
    const history = seen.get(threadId) ?? [];
    // The first observation with last_seq >= seq (histories are in increasing seq order).
    let low = 0;
    let high = history.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((history[middle] as [number, number])[0] >= seq) high = middle;
      else low = middle + 1;
    }
    return history[low]?.[1] ?? Number.POSITIVE_INFINITY;
  };
  return {
    committedAt,
    async waitFor(acks: Array<[string, number, number]>, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      while (acks.some(([threadId, seq]) => !Number.isFinite(committedAt(threadId, seq))) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
    async stop() {
      running = false;
      await loop.catch(() => {});
      await client.end();
    },
  };
}
