import type { MessageId, RunId, ThreadId } from '../ids/id-types.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import type { MessagePart } from './message-parts.js';

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
  /** Its text parts joined: the whole message for a client that reads text only. */
  content: string;
  /** Its structured parts, in order; null for a message that is one text part, `content`. */
  parts: MessagePart[] | null;
  metadata: Record<string, unknown>;
  /** Position in the thread: 1, 2, 3… without gaps. */
  seq: number;
  clientMessageId: string | null;
  createdAt: Date;
  /** IN_PROGRESS while an assistant is still streaming it; content is then what arrived so far. */
  status: MessageStatus;
  /** Who wrote it on the owner's behalf (a delegated token's `act.sub`), or null: the owner. */
  actor: string | null;
  /** Versions it has had: 1 until edited; each edit and its deletion add one. */
  revision: number;
  /** When it was last edited; null if never. */
  editedAt: Date | null;
  /** Set on a tombstone: content "", parts [] and metadata {} from then on, its seq kept. */
  deletedAt: Date | null;
}

/** An earlier version of a message, as an edit found it. */
export interface MessageRevision {
  messageId: MessageId;
  revision: number;
  content: string;
  parts: MessagePart[] | null;
  /** When this version was written: the message's creation for revision 1, else the edit that made it. */
  writtenAt: Date;
}

/** The limit is in UTF-8 bytes, because that is what storage and the wire pay for. */
export function assertContentSize(content: string, maxBytes: number): void {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > maxBytes) {
    throw new InvalidInputError(`Message content is ${bytes} bytes; the limit is ${maxBytes}`, { bytes, maxBytes });
  }
}
