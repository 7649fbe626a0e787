import { parseStreamFields, type StreamRecord } from './stream-records.js';

/** Turns a stream entry's fields into its record; throws for a poison entry. */
export type StreamDecoding = (entryId: string, fields: readonly string[]) => StreamRecord;

/** Each consumer decoding on its own: what a process running one consumer does. */
export const decodeEachTime: StreamDecoding = (_entryId, fields) => parseStreamFields(fields);

/** Entries decoded but not yet read by every consumer, at most; beyond that the oldest are decoded again. */
const DEFAULT_CAPACITY = 10_000;

/**
 * One decoding of each entry for all the consumer groups of one process (the persister and the
 * archiver of a server that runs both). Every group reads every entry, and decoding one (JSON,
 * the unstorable-text walk, the zod model) is the largest per-message cost a consumer has on the
 * server's event loop; a structured message costs twice a text one. Entry IDs never change
 * meaning, so the first reader's result is the others' too: it is forgotten once `readers`
 * reads have taken it, or when `capacity` newer entries push it out (a consumer that lags or
 * rereads after a failure then decodes it again itself). A poison entry's error is shared the
 * same way, so each group still dead-letters it. Readers share the records, so the entry and its
 * record are frozen (not the parts and metadata inside, which no consumer writes).
 */
export function createSharedStreamDecoding(readers: number, capacity = DEFAULT_CAPACITY): StreamDecoding {
  if (readers < 2) return decodeEachTime;
  const decoded = new Map<string, { outcome: { record: StreamRecord } | { error: unknown }; reads: number }>();
  return (entryId, fields) => {
    let entry = decoded.get(entryId);
    if (!entry) {
      entry = { outcome: decodeOnce(fields), reads: 0 };
      decoded.set(entryId, entry);
      if (decoded.size > capacity) decoded.delete(decoded.keys().next().value as string);
    }
    if (++entry.reads >= readers) decoded.delete(entryId);
    if ('error' in entry.outcome) throw entry.outcome.error;
    return entry.outcome.record;
  };
}

function decodeOnce(fields: readonly string[]): { record: StreamRecord } | { error: unknown } {
  try {
    const record = parseStreamFields(fields);
    Object.freeze(record.record);
    return { record: Object.freeze(record) };
  } catch (error) {
    return { error };
  }
}
