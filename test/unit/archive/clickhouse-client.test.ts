import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ArchiveUnavailableError,
  clickhouseDateTime,
  countValue,
  isTransientClickHouseError,
  withRetries,
  type RetryPolicy,
} from '../../../src/archive/clickhouse-client.js';

/** The shape ClickHouse errors have, from a server or from chDB: a numeric code as a string and a type. */
function serverError(code: string, type: string): Error {
  return Object.assign(new Error(`Code: ${code}. DB::Exception: boom. (${type})`), { code, type });
}

const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

describe('isTransientClickHouseError', () => {
  it('retries failures that never reached a verdict: refused connections, timeouts, aborts', () => {
    expect(isTransientClickHouseError(refused)).toBe(true);
    expect(isTransientClickHouseError(new Error('Timeout error.'))).toBe(true);
    expect(isTransientClickHouseError(new Error('The user aborted a request.'))).toBe(true);
  });

  it('retries server errors that mean "later", not "wrong"', () => {
    expect(isTransientClickHouseError(serverError('252', 'TOO_MANY_PARTS'))).toBe(true);
    expect(isTransientClickHouseError(serverError('241', 'MEMORY_LIMIT_EXCEEDED'))).toBe(true);
    expect(isTransientClickHouseError(serverError('202', 'TOO_MANY_SIMULTANEOUS_QUERIES'))).toBe(true);
  });

  it('does not retry statements ClickHouse rejected, nor rows of the wrong shape', () => {
    expect(isTransientClickHouseError(serverError('62', 'SYNTAX_ERROR'))).toBe(false);
    expect(isTransientClickHouseError(serverError('27', 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'))).toBe(false);
    expect(isTransientClickHouseError(serverError('60', 'UNKNOWN_TABLE'))).toBe(false);
    expect(isTransientClickHouseError(z.number().safeParse('x').error)).toBe(false);
  });

  it('keeps an exhausted outage transient, so the archiver backs off instead of dead-lettering', () => {
    expect(isTransientClickHouseError(new ArchiveUnavailableError('insertRunTransitions', { cause: refused }))).toBe(true);
  });
});

describe('withRetries', () => {
  function policy(overrides: Partial<RetryPolicy> = {}) {
    const sleeps: number[] = [];
    const full: RetryPolicy = {
      name: 'insertArchivedMessages',
      maxAttempts: 3,
      initialBackoffMs: 100,
      timeoutMs: 1_000,
      log: pino({ level: 'silent' }),
      sleep: async (ms) => void sleeps.push(ms),
      ...overrides,
    };
    return { policy: full, sleeps };
  }

  it('retries a transient failure with doubling backoff, then succeeds', async () => {
    const { policy: p, sleeps } = policy();
    const queryIds: string[] = [];
    const result = await withRetries(p, async (queryId, signal) => {
      queryIds.push(queryId);
      expect(signal.aborted).toBe(false);
      if (queryIds.length < 3) throw refused;
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(sleeps).toEqual([100, 200]);
    // A fresh, named id per attempt: query_log tells the attempts apart and who sent them.
    expect(new Set(queryIds).size).toBe(3);
    for (const id of queryIds) expect(id).toMatch(/^tl_insertArchivedMessages_[0-9a-f-]{36}$/);
  });

  it('gives up after maxAttempts transient failures with ArchiveUnavailableError carrying the cause', async () => {
    const { policy: p, sleeps } = policy({ maxAttempts: 4 });
    let attempts = 0;
    const failure = withRetries(p, async () => {
      attempts++;
      throw refused;
    });
    await expect(failure).rejects.toBeInstanceOf(ArchiveUnavailableError);
    await expect(failure).rejects.toMatchObject({ queryName: 'insertArchivedMessages', cause: refused });
    expect(attempts).toBe(4);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('rethrows a non-transient error at once, untouched', async () => {
    const { policy: p, sleeps } = policy();
    const syntax = serverError('62', 'SYNTAX_ERROR');
    let attempts = 0;
    await expect(
      withRetries(p, async () => {
        attempts++;
        throw syntax;
      }),
    ).rejects.toBe(syntax);
    expect(attempts).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('hands each attempt a signal that aborts at the timeout', async () => {
    const { policy: p } = policy({ timeoutMs: 20, maxAttempts: 1 });
    const failure = withRetries(p, (_queryId, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    await expect(failure).rejects.toBeInstanceOf(ArchiveUnavailableError);
  });
});

describe('boundary values', () => {
  it('formats instants as UTC DateTime64(3) text', () => {
    expect(clickhouseDateTime('2026-03-04T05:06:07.089Z')).toBe('2026-03-04 05:06:07.089');
    expect(clickhouseDateTime(new Date(Date.UTC(2026, 0, 1)))).toBe('2026-01-01 00:00:00.000');
  });

  it('reads counts whether they arrive as numbers (chDB) or quoted UInt64 (server)', () => {
    expect(countValue.parse(7)).toBe(7);
    expect(countValue.parse('7')).toBe(7);
    expect(countValue.safeParse('7x').success).toBe(false);
  });
});
