import type { Message } from '../domain/message.js';
import type { Run } from '../domain/run.js';
import type { Thread } from '../domain/thread.js';
import type { ThreadId } from '../ids/id-types.js';
import type { ThreadReadWire } from '../repositories/outbox-repository.js';
import { messageOfRecord, type MessageRecord } from '../storage/message-record.js';
import type { RunRecord } from '../storage/stream-records.js';
import type { ViewerFeedEntry } from '../storage/viewer-feed.js';
import { runOfRecord, threadOfWire, type ThreadWire } from './thread-events.js';

/**
 * The events of a viewer's feed (viewerEvents), decoded from feed entries (storage/viewer-feed.ts).
 * Every one carries its cursor, the entry's ID. Isolation is by key: a user's feed holds only
 * what the writers put there for that user (their own threads' changes), and a subscription
 * reads only its viewer's feed and channel.
 */
export type ViewerEvent = { cursor: string } & (
  | { type: 'ThreadCreated'; thread: Thread }
  | { type: 'ViewerThreadUpdated'; thread: Thread }
  /** A message was added to one of the viewer's threads. */
  | { type: 'ThreadActivity'; threadId: ThreadId; message: Message }
  /** The viewer marked a thread read (on any device); `lastSeq` is the thread's newest seq then. */
  | { type: 'ThreadRead'; thread: Thread; lastSeq: number }
  | { type: 'ViewerRunStatusChanged'; run: Run }
  | { type: 'ViewerThreadDeleted'; threadId: ThreadId }
);

/** A feed entry as the typed event; throws on an entry of no known type. */
export function decodeViewerEvent(entry: ViewerFeedEntry): ViewerEvent {
  const data = JSON.parse(entry.data) as unknown;
  const { cursor } = entry;
  switch (entry.type) {
    case 'ThreadCreated':
    case 'ViewerThreadUpdated': {
      const thread = threadOfWire(data as ThreadWire);
      return { type: entry.type, cursor, thread };
    }
    case 'ThreadActivity': {
      const record = data as MessageRecord;
      const message = messageOfRecord(record);
      return { type: 'ThreadActivity', cursor, threadId: message.threadId, message };
    }
    case 'ThreadRead': {
      const wire = data as ThreadReadWire;
      const thread = threadOfWire(wire.thread);
      return { type: 'ThreadRead', cursor, thread, lastSeq: wire.lastSeq };
    }
    case 'ViewerRunStatusChanged': {
      const record = data as RunRecord;
      return { type: 'ViewerRunStatusChanged', cursor, run: runOfRecord(record) };
    }
    case 'ViewerThreadDeleted':
      return { type: 'ViewerThreadDeleted', cursor, threadId: (data as { threadId: ThreadId }).threadId };
    default:
      throw new Error(`Unknown viewer event ${JSON.stringify(entry.type)}`);
  }
}
