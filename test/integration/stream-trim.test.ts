import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CONSUMER_GROUPS, PERSISTENCE_STREAM } from '../../src/storage/redis-keys.js';
import { compareStreamIds, trimAcknowledgedEntries } from '../../src/storage/stream-trim.js';
import { redisUrlOf } from '../support/redis-databases.js';

// A database of its own, so the persisters of other test files never touch this stream.
const redis = new Redis(redisUrlOf('streamTrim'));

async function readAndAck(group: string, read: number, ack: number): Promise<void> {
  const reply = (await redis.xreadgroup('GROUP', group, 'c', 'COUNT', read, 'STREAMS', PERSISTENCE_STREAM, '>')) as Array<[string, Array<[string, string[]]>]>;
  const ids = reply[0]![1].map(([id]) => id);
  if (ack > 0) await redis.xack(PERSISTENCE_STREAM, group, ...ids.slice(0, ack));
}

describe('trimming the persistence stream', () => {
  beforeEach(async () => {
    await redis.del(PERSISTENCE_STREAM);
    for (let i = 0; i < 5; i++) await redis.xadd(PERSISTENCE_STREAM, '*', 'type', 'message', 'data', String(i));
  });
  afterAll(async () => {
    await redis.del(PERSISTENCE_STREAM);
    redis.disconnect();
  });

  it('keeps everything until both consumer groups exist', async () => {
    await redis.xgroup('CREATE', PERSISTENCE_STREAM, CONSUMER_GROUPS.postgres, '0');
    await readAndAck(CONSUMER_GROUPS.postgres, 5, 5);
    expect(await trimAcknowledgedEntries(redis)).toBe(0);
    expect(await redis.xlen(PERSISTENCE_STREAM)).toBe(5);
  });

  it('deletes only what every group has acknowledged, keeping the oldest pending entry', async () => {
    await redis.xgroup('CREATE', PERSISTENCE_STREAM, CONSUMER_GROUPS.postgres, '0');
    await redis.xgroup('CREATE', PERSISTENCE_STREAM, CONSUMER_GROUPS.clickhouse, '0');
    await readAndAck(CONSUMER_GROUPS.postgres, 5, 5);
    await readAndAck(CONSUMER_GROUPS.clickhouse, 3, 2); // entry 3 is read but pending
    expect(await trimAcknowledgedEntries(redis)).toBe(2);
    const left = (await redis.xrange(PERSISTENCE_STREAM, '-', '+')).map(([, fields]) => fields[3]);
    expect(left).toEqual(['2', '3', '4']);
  });
});

describe('stream ID order', () => {
  it('compares milliseconds, then sequence, as numbers', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1);
    expect(compareStreamIds('10-2', '10-10')).toBe(-1);
    expect(compareStreamIds('10-2', '10-2')).toBe(0);
    expect(compareStreamIds('11-0', '10-99')).toBe(1);
  });
});
