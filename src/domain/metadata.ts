import { z } from 'zod';

/**
 * Limits on the metadata object of a thread, run or message. Metadata travels with every read of
 * its row (the Redis window keeps whole messages), so an unbounded object would make every page
 * of its thread slow and every server that holds it large.
 */
/** Largest metadata, as compact JSON in UTF-8 bytes (16 KiB). */
export const MAX_METADATA_BYTES = 16_384;
/** Deepest nesting of objects and arrays, the metadata object itself counting as 1. */
export const MAX_METADATA_DEPTH = 16;

export const metadataSchema = z
  .record(z.string(), z.unknown(), 'metadata must be a JSON object')
  .superRefine((metadata, ctx) => {
    // Depth first, without recursion: a value nested thousands deep must not reach JSON.stringify.
    if (exceedsDepth(metadata, MAX_METADATA_DEPTH)) {
      ctx.addIssue({ code: 'custom', message: `metadata is nested deeper than ${MAX_METADATA_DEPTH} levels` });
      return;
    }
    const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
    if (bytes > MAX_METADATA_BYTES) {
      ctx.addIssue({ code: 'custom', message: `metadata is ${bytes} bytes as JSON; the limit is ${MAX_METADATA_BYTES}` });
    }
  });

/** True when objects and arrays nest deeper than `maxDepth` (the value itself is level 1). */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [current, depth] = next;
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const inner of Object.values(current)) pending.push([inner, depth + 1]);
  }
  return false;
}
