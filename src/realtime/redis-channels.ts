import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ThreadId } from '../ids/id-types.js';
import { realtimeChannels } from '../observability/metrics.js';
import { threadChannel } from '../storage/redis-keys.js';
import { decodeThreadAnnouncement, type ThreadEvent } from './thread-events.js';

export interface RedisChannelsOptions<Key, Event> {
  /** A dedicated connection (it goes into subscriber mode); null without Redis: nothing arrives live. */
  redis: Redis | null;
  log: Logger;
  /** The channel of a key (redis-keys.ts). */
  channelOf: (key: Key) => string;
  /** A channel message into its event; throws on anything that is not one. */
  decode: (message: string) => Event;
  /** Each event, decoded once for all local subscribers of its key. */
  onEvent: (key: Key, event: Event) => void;
  /** After Redis came back and every joined channel is subscribed again: what was published meanwhile is lost. */
  onResubscribed: () => void;
}

export type ThreadChannelsOptions = Omit<RedisChannelsOptions<ThreadId, ThreadEvent>, 'channelOf' | 'decode'>;

interface Joined<Key> {
  key: Key;
  members: number;
  /** Settles once Redis confirmed the SUBSCRIBE, or it failed (the reconnect path then takes over). */
  subscribed: Promise<void>;
}

/**
 * One Redis SUBSCRIBE per thread for this whole instance, however many local subscribers the
 * thread has: the first `join` subscribes, the last `leave` unsubscribes.
 */
export function createThreadChannels(options: ThreadChannelsOptions) {
  return createRedisChannels({ ...options, channelOf: threadChannel, decode: decodeThreadAnnouncement });
}

/**
 * One Redis SUBSCRIBE per key (a thread, a viewer) for this whole instance, however many local
 * subscribers it has; several sets may share one connection, each ignoring the others' channels.
 */
export function createRedisChannels<Key, Event>(options: RedisChannelsOptions<Key, Event>) {
  const { redis, log } = options;
  const joined = new Map<string, Joined<Key>>();
  // Channels whose UNSUBSCRIBE failed (Redis was down): ioredis would resubscribe them on
  // reconnect, leaking a channel nobody listens to, so they are unsubscribed again then.
  const leftWhileDown = new Set<string>();

  const onMessage = (channel: string, json: string) => {
    const entry = joined.get(channel);
    if (!entry) return;
    let event: Event;
    try {
      event = options.decode(json);
    } catch (error) {
      return log.warn({ err: error, channel }, 'undecodable event dropped');
    }
    options.onEvent(entry.key, event);
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
      return log.warn({ err: error }, 'resubscribing channels failed');
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
    /** Counts a local subscriber in; resolves once this instance receives the key's events. */
    join(key: Key): Promise<void> {
      const channel = options.channelOf(key);
      const entry = joined.get(channel);
      if (entry) {
        entry.members += 1;
        return entry.subscribed;
      }
      const subscribed = subscribe(channel);
      joined.set(channel, { key, members: 1, subscribed });
      realtimeChannels.inc();
      return subscribed;
    },

    leave(key: Key): void {
      const channel = options.channelOf(key);
      const entry = joined.get(channel);
      if (!entry) return;
      entry.members -= 1;
      if (entry.members > 0) return;
      joined.delete(channel);
      realtimeChannels.dec();
      redis?.unsubscribe(channel).catch(() => leftWhileDown.add(channel));
    },

    /** Keys with at least one local subscriber. */
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
export type RedisChannels<Key, Event> = ReturnType<typeof createRedisChannels<Key, Event>>;
