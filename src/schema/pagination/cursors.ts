import { InvalidInputError } from '../../errors/domain-errors.js';
import type { TimeCursor } from '../../repositories/page-window.js';

/**
 * Cursors are opaque to clients (base64url) but carry the exact keyset position, so a page
 * boundary never shifts when rows are added in between.
 */
const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

function invalidCursor(cursor: string): InvalidInputError {
  return new InvalidInputError(`Invalid cursor ${JSON.stringify(cursor.slice(0, 100))}`);
}

function decode(cursor: string, prefix: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(`${prefix}:`)) throw invalidCursor(cursor);
  return text.slice(prefix.length + 1);
}

/** A message's seq (and a revision) is a Postgres integer (and a GraphQL Int): a cursor past it names no message. */
const MAX_SEQ = 2 ** 31 - 1;
/**
 * Cursor times are row timestamps: from the epoch to the end of year 9999. Outside, a client's
 * made-up cursor would reach Postgres as a date it cannot store (years before 4713 BC, or past
 * four digits) and fail as a database error instead of this client error.
 */
const MAX_CURSOR_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** A position given by a Postgres integer, in the order `kind` names (a cursor of another order is refused). */
function intCursor(kind: string, value: number): string {
  return encode(`${kind}:${value}`);
}

function parseIntCursor(cursor: string, kind: string): number {
  const value = Number(decode(cursor, kind));
  if (!Number.isInteger(value) || value < 0 || value > MAX_SEQ) throw invalidCursor(cursor);
  return value;
}

export const seqCursor = (seq: number): string => intCursor('seq', seq);
export const parseSeqCursor = (cursor: string): number => parseIntCursor(cursor, 'seq');

/** A message revision's position in its newest-first list. */
export const revisionCursor = (revision: number): string => intCursor('rev', revision);
export const parseRevisionCursor = (cursor: string): number => parseIntCursor(cursor, 'rev');

/**
 * `kind` names the order a cursor belongs to, so a cursor of one order handed to a list in
 * another is refused rather than read as a position it never was. Default `t`.
 */
export function timeCursor(at: Date, id: string, kind = 't'): string {
  return encode(`${kind}:${at.getTime()}:${id}`);
}

export function parseTimeCursor(cursor: string, kind = 't'): TimeCursor {
  const [ms, ...rest] = decode(cursor, kind).split(':');
  const atMs = Number(ms);
  if (!Number.isInteger(atMs) || atMs < 0 || atMs > MAX_CURSOR_TIME_MS || rest.length === 0) throw invalidCursor(cursor);
  return { at: new Date(atMs), id: rest.join(':') };
}
