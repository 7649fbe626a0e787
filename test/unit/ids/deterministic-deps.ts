import type { IdGeneratorDeps } from '../../../src/ids/generate-ids.js';

/** 2025-09-08T23:01:18.799Z, the timestamp of the examples in ARCHITECTURE.md. */
export const FIXED_MS = 1_757_372_478_799;

/** A clock that returns the given instants in turn, then keeps returning the last one. */
export function clockOf(...instants: number[]): () => number {
  let index = 0;
  return () => instants[Math.min(index++, instants.length - 1)] ?? FIXED_MS;
}

/** Hex values 00000001, 00000002, … : every ID is predictable and no two draws repeat. */
export function countingHex(): () => string {
  let drawn = 0;
  return () => (++drawn).toString(16).padStart(8, '0');
}

/** A fully deterministic generator's dependencies: a frozen clock and counting randomness. */
export function deterministicDeps(ms = FIXED_MS): Required<IdGeneratorDeps> {
  return { now: () => ms, randomHex8: countingHex() };
}
