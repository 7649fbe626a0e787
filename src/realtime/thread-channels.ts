import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ThreadId } from '../ids/id-types.js';
import { realtimeChannels } from '../observability/metrics.js';
import { threadChannel } from '../storage/redis-keys.js';
import { decodeThreadEvent, type ThreadEvent } from './thread-events.js';

export interface ThreadChannelsOptions {
  /** A dedicated connection (it goes into subscriber mode); null without Redis: nothing arrives live. */
  redis: Redis | null;
  log: Logger;
  /** Each event, decoded once for all local subscribers of its thread. */
  onEvent: (threadId: ThreadId, event: ThreadEvent) => void;
  /** After Redis came back and every joined channel is subscribed again: what was published meanwhile is lost. */
  onResubscribed: () => void;
}

interface Joined {
  threadId: ThreadId;
  members: number;
  /** Settles once Redis confirmed the SUBSCRIBE, or it failed (the reconnect path then takes over). */
  subscribed: Promise<void>;
}

/**
 * One Redis SUBSCRIBE per thread for this whole instance, however many local subscribers the
 * thread has: the first `join` subscribes, the last `leave` unsubscribes.
 */
export function createThreadChannels(options: ThreadChannelsOptions) {
  const { redis, log } = options;
  const joined = new Map<string, Joined>();
  // Channels whose UNSUBSCRIBE failed (Redis was down): ioredis would resubscribe them on
  // reconnect, leaking a channel nobody listens to, so they are unsubscribed again then.
  const leftWhileDown = new Set<string>();

  const onMessage = (channel: string, json: string) => {
    const entry = joined.get(channel);
    if (!entry) return;
    let event: ThreadEvent;
    try {
      event = decodeThreadEvent(json);
    } catch (error) {
      return log.warn({ err: error, channel }, 'undecodable thread event dropped');
    }
    options.onEvent(entry.threadId, event);
  };
  const onReady = () => void resubscribe();
  redis?.on('message', onMessage);
  redis?.on('ready', onReady);

  async function resubscribe(): Promise<void> {
    const stale = [...leftWhileDown].filter((channel) => !joined.has(channel));
    leftWhileDown.clear();
    const wanted = [...joined.keys()];
    try {
      if (stale.length > 0) await redis?.unsubscribe(...stale);
      if (wanted.length > 0) await redis?.subscribe(...wanted);
    } catch (error) {
      // The connection dropped again; its next 'ready' comes back here.
      return log.warn({ err: error }, 'resubscribing thread channels failed');
    }
    options.onResubscribed();
  }

  function subscribe(channel: string): Promise<void> {
    if (!redis) return Promise.resolve();
    leftWhileDown.delete(channel);
    return redis.subscribe(channel).then(
      () => undefined,
      (error) => log.warn({ err: error, channel }, 'SUBSCRIBE failed; will resubscribe when Redis is back'),
    );
  }

  return {
    /** Counts a local subscriber in; resolves once this instance receives the thread's events. */
    join(threadId: ThreadId): Promise<void> {
      const channel = threadChannel(threadId);
      const entry = joined.get(channel);
      if (entry) {
        entry.members += 1;
        return entry.subscribed;
      }
      const subscribed = subscribe(channel);
      joined.set(channel, { threadId, members: 1, subscribed });
      realtimeChannels.inc();
      return subscribed;
    },

    leave(threadId: ThreadId): void {
      const channel = threadChannel(threadId);
      const entry = joined.get(channel);
      if (!entry) return;
      entry.members -= 1;
      if (entry.members > 0) return;
      joined.delete(channel);
      realtimeChannels.dec();
      redis?.unsubscribe(channel).catch(() => leftWhileDown.add(channel));
    },

    /** Threads with at least one local subscriber. */
    get count(): number {
      return joined.size;
    },

    /** Unsubscribes everything still joined (the registry has ended its subscribers by then). */
    async close(): Promise<void> {
      const channels = [...joined.keys()];
      realtimeChannels.dec(channels.length);
      joined.clear();
      redis?.off('message', onMessage);
      redis?.off('ready', onReady);
      if (channels.length > 0) await redis?.unsubscribe(...channels).catch(() => undefined);
    },
  };
}

export type ThreadChannels = ReturnType<typeof createThreadChannels>;
