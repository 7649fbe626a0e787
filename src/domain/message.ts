import type { MessageId, RunId, ThreadId } from '../ids/id-types.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import { UNSTORABLE_TEXT_MESSAGE } from '../errors/unstorable-text.js';

export const MESSAGE_ROLES = ['USER', 'ASSISTANT', 'SYSTEM', 'TOOL'] as const;
export const MESSAGE_STATUSES = ['IN_PROGRESS', 'COMPLETED'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/** Longest client message ID, in characters. */
export const MAX_CLIENT_MESSAGE_ID_LENGTH = 200;

export interface Message {
  id: MessageId;
  threadId: ThreadId;
  runId: RunId | null;
  role: MessageRole;
  content: string;
  metadata: Record<string, unknown>;
  /** Position in the thread: 1, 2, 3… without gaps. */
  seq: number;
  clientMessageId: string | null;
  createdAt: Date;
  /** IN_PROGRESS while an assistant is still streaming it; content is then what arrived so far. */
  status: MessageStatus;
}

/**
 * Postgres cannot store NUL (U+0000) in text or jsonb. Refused before the write is acked:
 * on the fast path a bad row would otherwise only fail later, in the persister.
 */
export function assertStorableText(...values: Array<string | null | undefined | Record<string, unknown>>): void {
  for (const value of values) {
    // In serialised JSON a NUL shows as the escape \u0000; in a plain string, as the character.
    const hasNul = typeof value === 'string' ? value.includes('\u0000') : JSON.stringify(value ?? null).includes('\\u0000');
    if (hasNul) {
      throw new InvalidInputError(UNSTORABLE_TEXT_MESSAGE);
    }
  }
}

/** The limit is in UTF-8 bytes, because that is what storage and the wire pay for. */
export function assertContentSize(content: string, maxBytes: number): void {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > maxBytes) {
    throw new InvalidInputError(`Message content is ${bytes} bytes; the limit is ${maxBytes}`, { bytes, maxBytes });
  }
}
