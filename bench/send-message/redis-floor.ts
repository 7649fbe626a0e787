import type { Redis } from 'ioredis';
import { median } from '../shared/stats.js';

/**
 * What one FAST ack costs in Redis alone, seen from the FAST server's own connection: a PING
 * round trip (loopback, the client library and the event loop, no work in Redis), and Redis's
 * time inside scripts per send. A FAST send waits for both before it can ack, so FAST − floor
 * cannot fall much below their sum whatever the server does around them (the floor query has no
 * Redis round trip at all; the workers' watermark scripts, once per batch, are the only other
 * scripts counted, and they are a small part).
 */
export interface RedisFloor {
  /** Sequential PINGs on the hot tier's connection, with no load running. */
  ping: { samples: number; p50Ms: number };
  /** INFO commandstats over a FAST text run at 1 connection: every EVALSHA's time per send (the send script once per send, the workers' watermark script once per batch). */
  scripts: { sends: number; calls: number; msPerSend: number };
  /** ping.p50Ms + scripts.msPerSend. */
  sumMs: number;
}

export async function measurePing(redis: Redis, samples: number): Promise<RedisFloor['ping']> {
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    await redis.ping();
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { samples, p50Ms: median(latencies) };
}

/** Calls and microseconds Redis has spent on one command since it started (INFO commandstats). */
export async function commandStats(redis: Redis, command: string): Promise<{ calls: number; usec: number }> {
  const line = (await redis.info('commandstats')).split('\n').find((entry) => entry.startsWith(`cmdstat_${command}:`));
  const match = line ? /calls=(\d+),usec=(\d+)/.exec(line) : null;
  return { calls: Number(match?.[1] ?? 0), usec: Number(match?.[2] ?? 0) };
}

/** The scripts' share of a run: the difference of two commandStats readings, over the run's sends. */
export function scriptsPerSend(before: { calls: number; usec: number }, after: { calls: number; usec: number }, sends: number): RedisFloor['scripts'] {
  return { sends, calls: after.calls - before.calls, msPerSend: (after.usec - before.usec) / 1000 / sends };
}
