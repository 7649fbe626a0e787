import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script called by its SHA1 (EVALSHA), so its body crosses the wire once per server rather
 * than on every call; on NOSCRIPT (a restarted or flushed server) it is sent once with EVAL,
 * which caches it again. The same as ioredis's defineCommand, but typed and not bound to one
 * connection.
 */
export function luaScript(source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  const call = async (redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
  /**
   * Several calls in one round trip (one pipeline), answered in order; the first error thrown.
   * If Redis lacks the script, it is loaded once and the whole pipeline sent again: the scripts
   * that go through here only read, so running some of them twice changes nothing.
   */
  const many = async (redis: Redis, calls: ReadonlyArray<{ keys: readonly string[]; args: ReadonlyArray<string | number> }>): Promise<unknown[]> => {
    const send = async () => {
      const pipeline = redis.pipeline();
      for (const { keys, args } of calls) pipeline.evalsha(sha, keys.length, ...keys, ...args);
      return (await pipeline.exec()) ?? [];
    };
    let replies = await send();
    if (replies.some(([error]) => isNoScript(error))) {
      await redis.script('LOAD', source);
      replies = await send();
    }
    return replies.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  };
  return Object.assign(call, { many });
}

const isNoScript = (error: unknown) => String(error).includes('NOSCRIPT');
