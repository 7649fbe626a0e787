/** Small statistics helpers for the benchmark (no dependencies, exact on the samples given). */

/** The q-quantile (0..1) of `values`, nearest-rank on a sorted copy; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Rounds for display and JSON: 3 significant decimals is plenty for ms and ratios. */
export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * A quantile estimated from a Prometheus histogram's cumulative buckets, as
 * histogram_quantile() does: linear interpolation inside the bucket the rank falls in.
 * Also returns the bucket's upper bound, which is what the histogram can actually promise.
 */
export function histogramQuantile(
  buckets: ReadonlyArray<{ le: number; count: number }>,
  q: number,
): { estimate: number; upperBound: number } {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return { estimate: Number.NaN, upperBound: Number.NaN };
  const rank = q * total;
  let previous = { le: 0, count: 0 };
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (!Number.isFinite(bucket.le)) return { estimate: previous.le, upperBound: Number.POSITIVE_INFINITY };
      const inBucket = bucket.count - previous.count;
      const fraction = inBucket === 0 ? 1 : (rank - previous.count) / inBucket;
      return { estimate: previous.le + (bucket.le - previous.le) * fraction, upperBound: bucket.le };
    }
    previous = bucket;
  }
  return { estimate: Number.NaN, upperBound: Number.NaN };
}
