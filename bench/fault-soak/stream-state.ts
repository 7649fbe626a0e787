import { Redis } from 'ioredis';
import { PERSISTENCE_STREAM } from '../../src/storage/redis-keys.js';

export type StreamState = Record<string, unknown>;

/**
 * The persistence stream and its consumer groups as Redis reports them (XINFO STREAM, GROUPS and
 * CONSUMERS), read at the end of the soak: when the fast path does not come back, recovery is
 * usually waiting on what these say.
 */
export async function readStreamState(url: string): Promise<StreamState> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    const stream = toObject((await redis.call('XINFO', 'STREAM', PERSISTENCE_STREAM)) as unknown[]);
    delete stream['first-entry'];
    delete stream['last-entry'];
    const groups = ((await redis.call('XINFO', 'GROUPS', PERSISTENCE_STREAM)) as unknown[][]).map(toObject);
    for (const group of groups) {
      const consumers = (await redis.call('XINFO', 'CONSUMERS', PERSISTENCE_STREAM, String(group.name))) as unknown[][];
      group.consumers = consumers.map(toObject);
    }
    return { stream, groups };
  } catch (error) {
    return { error: String(error) };
  } finally {
    redis.disconnect();
  }
}

function toObject(flat: unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) object[String(flat[i])] = flat[i + 1];
  return object;
}
