import { randomUUID } from 'node:crypto';
import {
  ClickHouseLogLevel,
  createClient,
  type ClickHouseClient,
  type ClickHouseClientConfigOptions,
  type ClickHouseSettings,
} from '@clickhouse/client';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Config } from '../config.js';

/**
 * Query parameters, bound server-side through `{name:Type}` placeholders, never concatenated.
 * No Date: the HTTP client and chDB format it differently; pass `clickhouseDateTime(date)`.
 */
export type QueryParams = Record<string, string | number | readonly string[]>;

/**
 * The only way Threadline talks to ClickHouse. Every call is named (the name goes into the log
 * and the query_id, so `system.query_log` shows who asked), has a timeout, and is retried with
 * backoff when the failure is transient. Rows read back are validated before anyone sees them.
 */
export interface ArchiveClient {
  /** DDL and other statements without a result. */
  command(name: string, sql: string, params?: QueryParams): Promise<void>;
  /** One INSERT of all rows (JSONEachRow); nothing is sent for an empty list. */
  insert(name: string, table: string, rows: readonly Record<string, unknown>[]): Promise<void>;
  query<T>(name: string, sql: string, params: QueryParams, row: z.ZodType<T>): Promise<T[]>;
  /** True when ClickHouse answers a trivial query; for readiness checks. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface ArchiveClientOptions {
  /** Per-attempt deadline, ms. Default 10000. */
  timeoutMs?: number;
  /** Attempts for a transient failure before giving up. Default 3. */
  maxAttempts?: number;
  /** Backoff before the second attempt, doubled each time, ms. Default 100. */
  initialBackoffMs?: number;
}

/**
 * ClickHouse stayed unreachable (or overloaded) through every retry. The archiver treats this as
 * "the target is down": it backs off and keeps the entries in the stream instead of suspecting them.
 */
export class ArchiveUnavailableError extends Error {
  constructor(readonly queryName: string, options: { cause: unknown }) {
    super(`ClickHouse unavailable for ${queryName}: ${messageOf(options.cause)}`, options);
    this.name = 'ArchiveUnavailableError';
  }
}

/** Server-side error codes that say "try again later", not "this statement is wrong". */
const TRANSIENT_CLICKHOUSE_CODES = new Set([
  '3', // UNEXPECTED_END_OF_FILE
  '159', // TIMEOUT_EXCEEDED
  '164', // READONLY (a replica catching up)
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '203', // NO_FREE_CONNECTION
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '236', // ABORTED
  '241', // MEMORY_LIMIT_EXCEEDED
  '242', // TABLE_IS_READ_ONLY
  '252', // TOO_MANY_PARTS
  '285', // TOO_FEW_LIVE_REPLICAS
  '319', // UNKNOWN_STATUS_OF_INSERT
  '394', // QUERY_WAS_CANCELLED
  '425', // SYSTEM_ERROR
  '999', // KEEPER_EXCEPTION
]);

/**
 * An error ClickHouse itself raised carries a numeric code; those are transient only when listed.
 * Anything else (refused or reset connections, timeouts, aborted requests) means we never got a
 * verdict on the statement, so it is worth retrying. A validation failure of our own is a bug.
 */
export function isTransientClickHouseError(error: unknown): boolean {
  if (error instanceof ArchiveUnavailableError) return true;
  if (error instanceof z.ZodError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  const isServerError = typeof code === 'string' && /^\d+$/.test(code) && 'type' in (error as object);
  return isServerError ? TRANSIENT_CLICKHOUSE_CODES.has(code) : true;
}

export interface RetryPolicy {
  name: string;
  maxAttempts: number;
  initialBackoffMs: number;
  timeoutMs: number;
  log: Logger;
  /** Injected in tests; default a timer. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs one named ClickHouse operation: a fresh query_id and deadline per attempt, transient
 * failures retried with doubling backoff, every failure logged with the query name. Gives up as
 * ArchiveUnavailableError when only transient failures were seen, else rethrows the verdict.
 */
export async function withRetries<T>(policy: RetryPolicy, operation: (queryId: string, signal: AbortSignal) => Promise<T>): Promise<T> {
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    const queryId = `tl_${policy.name}_${randomUUID()}`;
    const started = Date.now();
    try {
      const result = await operation(queryId, AbortSignal.timeout(policy.timeoutMs));
      policy.log.debug({ query: policy.name, queryId, ms: Date.now() - started }, 'ClickHouse query done');
      return result;
    } catch (error) {
      const transient = isTransientClickHouseError(error);
      const giveUp = !transient || attempt >= policy.maxAttempts;
      policy.log[giveUp ? 'error' : 'warn'](
        { err: error, query: policy.name, queryId, attempt, transient, ms: Date.now() - started },
        giveUp ? 'ClickHouse query failed' : 'ClickHouse query failed; retrying',
      );
      if (!transient) throw error;
      if (giveUp) throw new ArchiveUnavailableError(policy.name, { cause: error });
      await sleep(policy.initialBackoffMs * 2 ** (attempt - 1));
    }
  }
}

/**
 * Connects to a ClickHouse server (CLICKHOUSE_URL) or opens embedded chDB at a path. chDB binds
 * one data path per process (and locks it against other processes): close this client before
 * opening another path in the same process.
 */
export async function createArchiveClient(
  config: Config['clickhouse'],
  log: Logger,
  options: ArchiveClientOptions = {},
): Promise<ArchiveClient> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const base = { timeoutMs, maxAttempts: options.maxAttempts ?? 3, initialBackoffMs: options.initialBackoffMs ?? 100, log };
  const { raw, querySettings, insertSettings } = await openClient(config, timeoutMs);
  const run = <T>(name: string, operation: (queryId: string, signal: AbortSignal) => Promise<T>) => withRetries({ ...base, name }, operation);

  return {
    async command(name, sql, params) {
      await run(name, (query_id, abort_signal) => raw.command({ query: sql, query_params: params, query_id, abort_signal }));
    },
    async insert(name, table, rows) {
      if (rows.length === 0) return;
      await run(name, (query_id, abort_signal) =>
        raw.insert({ table, values: [...rows], format: 'JSONEachRow', query_id, abort_signal, clickhouse_settings: insertSettings }),
      );
    },
    async query(name, sql, params, row) {
      const rows = await run(name, async (query_id, abort_signal) => {
        const result = await raw.query({ query: sql, query_params: params, format: 'JSONEachRow', query_id, abort_signal, clickhouse_settings: querySettings });
        return result.json<unknown>();
      });
      const parsed = z.array(row).safeParse(rows);
      if (!parsed.success) {
        log.error({ query: name, issues: parsed.error.issues.slice(0, 5) }, 'ClickHouse returned rows of an unexpected shape');
        throw parsed.error;
      }
      return parsed.data;
    },
    async ping() {
      const result = await raw.ping().catch(() => ({ success: false as const }));
      return result.success;
    },
    close: () => raw.close(),
  };
}

async function openClient(config: Config['clickhouse'], timeoutMs: number) {
  // Our wrapper logs every failure with its name; the client's own console logger would say it twice.
  const log = { level: ClickHouseLogLevel.OFF };
  if (config.kind === 'embedded') {
    // In-process: the abort signal is the whole timeout, and there is no server to batch inserts.
    return { raw: createClient({ connection: await embeddedConnection(config.path), log }), querySettings: {}, insertSettings: {} };
  }
  const raw: ClickHouseClient = createClient({ url: config.url, application: 'threadline', request_timeout: timeoutMs + 1_000, log });
  // Aborting the request does not stop the query on the server; this does.
  const querySettings: ClickHouseSettings = { max_execution_time: Math.ceil(timeoutMs / 1_000) };
  // The archiver's batches can be small at low traffic; the server merges them into larger parts.
  const insertSettings: ClickHouseSettings = { async_insert: 1, wait_for_async_insert: 1 };
  return { raw, querySettings, insertSettings };
}

/** A ClickHouse count: UInt64 arrives as a JSON string from a server, as a number from chDB. */
export const countValue = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);

/** The text form ClickHouse parses into DateTime64(3) without format-guessing settings. */
export function clickhouseDateTime(iso: string | Date): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Loaded only when used: chDB maps a whole ClickHouse (~150 MB resident) into the process, which
 * a server talking to CLICKHOUSE_URL should not pay for. The cast: chDB implements the Connection
 * of `@clickhouse/client-common`, which the client now vendors as its own, structurally equal copy.
 */
async function embeddedConnection(path: string): Promise<NonNullable<ClickHouseClientConfigOptions['connection']>> {
  const { createChdbConnection } = await import('chdb/connection');
  return createChdbConnection({ path }) as unknown as NonNullable<ClickHouseClientConfigOptions['connection']>;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
