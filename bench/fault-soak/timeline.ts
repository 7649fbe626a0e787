import type { SoakAck, SoakFailure } from './load-protocol.js';

export interface TimelineBucket {
  fromSec: number;
  hot: number;
  durable: number;
  failedAttempts: number;
}

/** Acks by the path that took them, and failed attempts, per `bucketSec` of the run: where the fast path was lost and regained. */
export function timelineOf(acks: readonly SoakAck[], failures: readonly SoakFailure[], untilSec: number, bucketSec = 5): TimelineBucket[] {
  const buckets = Array.from({ length: Math.ceil(untilSec / bucketSec) }, (_, i) => ({ fromSec: i * bucketSec, hot: 0, durable: 0, failedAttempts: 0 }));
  const at = (sec: number) => buckets[Math.min(buckets.length - 1, Math.max(0, Math.floor(sec / bucketSec)))]!;
  for (const ack of acks) at(ack.ackedAtSec)[ack.durability === 'HOT' ? 'hot' : 'durable']++;
  for (const failure of failures) at(failure.atSec).failedAttempts++;
  return buckets;
}

/** Failed attempts by kind (`HTTP 503 …`, `timeout`, …). */
export function failureKinds(failures: readonly SoakFailure[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const failure of failures) kinds[failure.kind] = (kinds[failure.kind] ?? 0) + 1;
  return kinds;
}
