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

export function seqCursor(seq: number): string {
  return encode(`seq:${seq}`);
}

export function parseSeqCursor(cursor: string): number {
  const seq = Number(decode(cursor, 'seq'));
  if (!Number.isSafeInteger(seq) || seq < 0) throw invalidCursor(cursor);
  return seq;
}

export function timeCursor(at: Date, id: string): string {
  return encode(`t:${at.getTime()}:${id}`);
}

export function parseTimeCursor(cursor: string): TimeCursor {
  const [ms, ...rest] = decode(cursor, 't').split(':');
  const at = new Date(Number(ms));
  if (Number.isNaN(at.getTime()) || rest.length === 0) throw invalidCursor(cursor);
  return { at, id: rest.join(':') };
}
