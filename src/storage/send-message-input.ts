import type { NewMessage } from './message-record.js';

/** How far a write must have travelled before it is acknowledged. */
export type WriteDurability = 'FAST' | 'DURABLE';

/** A validated message write: IDs parsed, sizes checked, owner from the execution context. */
export type SendMessageInput = NewMessage & {
  ownerId: string;
  durability: WriteDurability;
};
