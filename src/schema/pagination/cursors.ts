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

/** A message's seq is a Postgres integer (and a GraphQL Int): a cursor past it names no message. */
const MAX_SEQ = 2 ** 31 - 1;
/**
 * Cursor times are row timestamps: from the epoch to the end of year 9999. Outside, a client's
 * made-up cursor would reach Postgres as a date it cannot store (years before 4713 BC, or past
 * four digits) and fail as a database error instead of this client error.
 */
const MAX_CURSOR_TIME_MS = Date.parse('9999-12-31T23:59:59.999Z');

export function seqCursor(seq: number): string {
  return encode(`seq:${seq}`);
}

export function parseSeqCursor(cursor: string): number {
  const seq = Number(decode(cursor, 'seq'));
  if (!Number.isInteger(seq) || seq < 0 || seq > MAX_SEQ) throw invalidCursor(cursor);
  return seq;
}

/** A message revision's position in its newest-first list. */
export function revisionCursor(revision: number): string {
  return encode(`rev:${revision}`);
}

export function parseRevisionCursor(cursor: string): number {
  const revision = Number(decode(cursor, 'rev'));
  if (!Number.isInteger(revision) || revision < 0 || revision > MAX_SEQ) throw invalidCursor(cursor);
  return revision;
}

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
