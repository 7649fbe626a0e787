import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { ArchiveClient } from '../../src/archive/clickhouse-client.js';
import { countValue } from '../../src/archive/clickhouse-client.js';
import type { Database } from '../../src/db/database.js';

/**
 * Everything in the three tiers that names `needle` (a thread ID), found without knowing where
 * to look: every row of every Postgres table as text, every String-ish column of every archive
 * table, every Redis key's name and value (all types, streams entry by entry). Empty after a
 * completed erasure is what "erased from every tier" means.
 */
/** `redis: null` for a server without one: nothing there to look at. */
export async function tracesOf(needle: string, tiers: { db: Kysely<Database>; redis: Redis | null; archive: ArchiveClient }) {
  return {
    postgres: await postgresTraces(tiers.db, needle),
    clickhouse: await clickhouseTraces(tiers.archive, needle),
    redis: tiers.redis ? await redisTraces(tiers.redis, needle) : [],
  };
}

async function postgresTraces(db: Kysely<Database>, needle: string): Promise<string[]> {
  const { rows: tables } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db);
  const found: string[] = [];
  for (const { name } of tables) {
    const { rows } = await sql<{ count: number }>`
      select count(*)::int as count from ${sql.table(name)} as t where t::text like ${`%${needle}%`}`.execute(db);
    if ((rows[0]?.count ?? 0) > 0) found.push(`${name}: ${rows[0]?.count} row(s)`);
  }
  return found;
}

async function clickhouseTraces(archive: ArchiveClient, needle: string): Promise<string[]> {
  const columns = await archive.query(
    'testListStringColumns',
    `SELECT table, name FROM system.columns WHERE database = currentDatabase() AND type LIKE '%String%'`,
    {},
    z.object({ table: z.string(), name: z.string() }),
  );
  const found: string[] = [];
  for (const { table, name } of columns) {
    const [row] = await archive.query(
      'testCountNaming',
      `SELECT count() AS count FROM ${table} WHERE position(toString(${name}), {needle:String}) > 0`,
      { needle },
      z.object({ count: countValue }),
    );
    if ((row?.count ?? 0) > 0) found.push(`${table}.${name}: ${row?.count} row(s)`);
  }
  return found;
}

async function redisTraces(redis: Redis, needle: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      if (key.includes(needle)) found.push(`key ${key}`);
      else if ((await valueOf(redis, key)).some((value) => value.includes(needle))) found.push(`value of ${key}`);
    }
  } while (cursor !== '0');
  return found;
}

async function valueOf(redis: Redis, key: string): Promise<string[]> {
  switch (await redis.type(key)) {
    case 'string':
      return [(await redis.get(key)) ?? ''];
    case 'hash':
      return Object.entries(await redis.hgetall(key)).flat();
    case 'list':
      return redis.lrange(key, 0, -1);
    case 'set':
      return redis.smembers(key);
    case 'zset':
      return redis.zrange(key, 0, -1);
    case 'stream':
      return (await redis.xrange(key, '-', '+')).flatMap(([, fields]) => fields);
    default:
      return [];
  }
}
