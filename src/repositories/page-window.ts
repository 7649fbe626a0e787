/**
 * A keyset page request, in the connection's natural order. `backwards` reads from `before`
 * towards the start (a `last: n` page); the connection helper reverses such a page back.
 * `limit` is one more than the page size, so the caller learns whether more exist.
 */
export interface PageWindow<Cursor> {
  after?: Cursor | undefined;
  before?: Cursor | undefined;
  limit: number;
  backwards: boolean;
}

/** Where a row sits in a list ordered by a timestamp then its ID (threads by activity, runs by creation). */
export interface TimeCursor {
  at: Date;
  id: string;
}

/** A stable key for grouping page requests that can share one batched query. */
export function windowKey(window: PageWindow<unknown>): string {
  return JSON.stringify([window.after, window.before, window.limit, window.backwards]);
}
