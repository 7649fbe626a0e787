import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { luaScript } from '../../src/storage/lua-script.js';

// A script Redis has never seen (a fresh comment makes its SHA new), so each test starts from NOSCRIPT.
function freshScript() {
  const source = `-- ${randomUUID()}
if ARGV[1] == 'fail' then return redis.error_reply('refused ' .. KEYS[1]) end
return KEYS[1] .. ':' .. ARGV[1]`;
  return { source, sha: createHash('sha1').update(source).digest('hex'), script: luaScript(source) };
}

describe('luaScript', () => {
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
  });
  afterAll(() => redis.quit());

  it('answers one call, loading the script when Redis lacks it', async () => {
    const { sha, script } = freshScript();
    expect(await script(redis, ['k'], ['a'])).toBe('k:a');
    expect(await redis.script('EXISTS', sha)).toEqual([1]);
  });

  it('answers many calls in order from one pipeline, loading the script once when Redis lacks it', async () => {
    const { sha, script } = freshScript();
    expect(await redis.script('EXISTS', sha)).toEqual([0]);
    const calls = ['a', 'b', 'c'].map((value, index) => ({ keys: [`k${index}`], args: [value] }));
    expect(await script.many(redis, calls)).toEqual(['k0:a', 'k1:b', 'k2:c']);
    expect(await redis.script('EXISTS', sha)).toEqual([1]);
    expect(await script.many(redis, [])).toEqual([]);
  });

  it('throws the error of a call that fails', async () => {
    const { script } = freshScript();
    await expect(script.many(redis, [{ keys: ['x'], args: ['ok'] }, { keys: ['y'], args: ['fail'] }])).rejects.toThrow('refused y');
  });
});
