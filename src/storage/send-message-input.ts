import type { MessageRole, MessageStatus } from '../domain/message.js';
import type { MessageId, RunId, ThreadId } from '../ids/id-types.js';

/** How far a write must have travelled before it is acknowledged. */
export type WriteDurability = 'FAST' | 'DURABLE';

/** A validated message write: IDs parsed, sizes checked, owner from the execution context. */
export interface SendMessageInput {
  /** Minted once per request, so a retry of the same write on another path keeps its identity. */
  id: MessageId;
  ownerId: string;
  threadId: ThreadId;
  runId: RunId | null;
  role: MessageRole;
  content: string;
  metadata: Record<string, unknown>;
  clientMessageId: string | null;
  durability: WriteDurability;
  /** IN_PROGRESS starts a streaming message (content grows by deltas). Default COMPLETED. */
  status?: MessageStatus;
}
