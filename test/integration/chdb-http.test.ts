import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { migrateArchive } from '../../src/archive/archive-migrations.js';
import { ArchiveUnavailableError, clickhouseDateTime, countValue, createArchiveClient, type ArchiveClient } from '../../src/archive/clickhouse-client.js';
import { startChdbHttp, type ChdbHttp } from '../support/chdb-http-process.js';

// The test-support ClickHouse HTTP server (chDB in a process of its own) as Threadline's own
// archive client and @clickhouse/client see it: the protocol, the parameter binding, and errors
// that carry ClickHouse's codes, so the client's retry rules meet real verdicts.

let clickhouse: ChdbHttp;
let archive: ArchiveClient;
const logged: Array<{ query?: string; attempt?: number; transient?: boolean; msg?: string }> = [];
const log = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
const raw: ClickHouseClient[] = [];

function rawClient(options: Parameters<typeof createClient>[0] = {}): ClickHouseClient {
  // Failures are what some of these tests ask for: the client's console logger would print each.
  const client = createClient({ url: clickhouse.url, log: { level: ClickHouseLogLevel.OFF }, ...options });
  raw.push(client);
  return client;
}

beforeAll(async () => {
  clickhouse = await startChdbHttp();
  archive = await createArchiveClient({ kind: 'external', url: clickhouse.url }, log, { maxAttempts: 2, initialBackoffMs: 10 });
}, 90_000);

afterAll(async () => {
  await Promise.all(raw.map((client) => client.close()));
  await archive?.close();
  await clickhouse?.dispose();
});

describe('the chDB HTTP test server', () => {
  it('answers /ping and runs Threadline’s archive migrations, then reads rows back with 64-bit counts quoted as a server does', async () => {
    expect(await archive.ping()).toBe(true);
    expect(await migrateArchive(archive, log)).toEqual(['2026-11-22T0200_messages_archive', '2026-11-22T0201_run_transitions', '2026-12-06T0000_actors', '2026-12-06T0100_message_parts', '2026-12-06T0800_run_usage', '2026-12-06T0810_message_feedback', '2026-12-06T0900_message_revisions']);
    expect(await migrateArchive(archive, log)).toEqual([]);
    const [row] = await archive.query('testCount', 'SELECT count() AS n FROM threadline_migrations', {}, z.object({ n: z.unknown() }));
    expect(row?.n).toBe('7');
  });

  it('binds query parameters server-side: quotes, backslashes, tabs, newlines and non-ASCII text come back unchanged', async () => {
    const text = "it's a \\ back\tslash\r\nline 2 – naïve 🙂 {x:String} ' OR 1=1 --";
    const [row] = await archive.query(
      'testBind',
      `SELECT {text:String} AS text, {n:UInt32} + 1 AS next, {at:DateTime64(3, 'UTC')} AS at, {names:Array(String)} AS names`,
      { text, n: 41, at: clickhouseDateTime('2026-06-01T10:00:00.123Z'), names: ['a', 'b c'] },
      z.object({ text: z.string(), next: countValue, at: z.string(), names: z.array(z.string()) }),
    );
    expect(row).toEqual({ text, next: 42, at: '2026-06-01 10:00:00.123', names: ['a', 'b c'] });
  });

  it('inserts JSONEachRow rows and applies URL settings to their own query only', async () => {
    await archive.command('testCreate', 'CREATE TABLE IF NOT EXISTS http_rows (id String, n UInt32) ENGINE = MergeTree ORDER BY id');
    await archive.insert('testInsert', 'http_rows', [{ id: "a'1", n: 1 }, { id: 'b\\2', n: 2 }]);
    const rows = await archive.query('testRead', 'SELECT id, n FROM http_rows ORDER BY id', {}, z.object({ id: z.string(), n: z.number() }));
    expect(rows).toEqual([{ id: "a'1", n: 1 }, { id: 'b\\2', n: 2 }]);

    const client = rawClient();
    const comment = async (settings = {}) =>
      (await (await client.query({ query: "SELECT getSetting('log_comment') AS c", format: 'JSONEachRow', clickhouse_settings: settings })).json<{ c: string }>())[0]?.c;
    expect(await comment({ log_comment: 'only this query' })).toBe('only this query');
    expect(await comment()).toBe('');
  });

  it('reads gzip request bodies and compresses responses when asked, as a server does', async () => {
    const client = rawClient({ compression: { request: true, response: true } });
    await client.insert({ table: 'http_rows', values: [{ id: 'gz', n: 7 }], format: 'JSONEachRow' });
    const result = await client.query({ query: "SELECT n FROM http_rows WHERE id = 'gz'", format: 'JSONEachRow' });
    expect(await result.json()).toEqual([{ n: 7 }]);
  });

  it('answers a refused statement with its ClickHouse code, and the archive client does not retry it', async () => {
    const error = await archive.query('testMissingTable', 'SELECT * FROM no_such_table', {}, z.object({})).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
    const attempts = logged.filter((line) => line.query === 'testMissingTable');
    expect(attempts.map((line) => [line.attempt, line.transient])).toEqual([[1, false]]);
  });

  it('answers an engine failure that means "later" with its code, and the archive client retries it', async () => {
    const sql = 'SELECT count() AS n FROM (SELECT groupArray(number) FROM numbers(1000000)) SETTINGS max_memory_usage = 1000000';
    const error = await archive.query('testMemoryLimit', sql, {}, z.object({ n: countValue })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ArchiveUnavailableError);
    expect((error as Error).cause).toMatchObject({ code: '241', type: 'MEMORY_LIMIT_EXCEEDED' });
    expect(logged.filter((line) => line.query === 'testMemoryLimit').map((line) => [line.attempt, line.transient])).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('refuses what it cannot do faithfully instead of guessing: unknown users, backslashes inside composite parameters', async () => {
    const stranger = rawClient({ username: 'alice', password: 'secret' });
    await expect(stranger.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' });
    const composite = archive.query('testComposite', 'SELECT {names:Array(String)} AS names', { names: ["it's"] }, z.object({}));
    await expect(composite).rejects.toMatchObject({ code: '48', type: 'NOT_IMPLEMENTED' });
  });

  it('refuses connections while killed, and keeps its data across a restart', async () => {
    await clickhouse.kill();
    expect(await archive.ping()).toBe(false);
    await expect(archive.query('testWhileDown', 'SELECT 1 AS one', {}, z.object({ one: z.number() }))).rejects.toBeInstanceOf(ArchiveUnavailableError);
    await clickhouse.start();
    expect(await archive.ping()).toBe(true);
    const [row] = await archive.query('testAfterRestart', 'SELECT count() AS n FROM http_rows', {}, z.object({ n: countValue }));
    expect(row?.n).toBe(3);
  }, 90_000);
});
