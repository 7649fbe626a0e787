import { describe, expect, it } from 'vitest';
import { assertAnalyticsRange, assertThreadCountLimit, MAX_RANGE_DAYS } from '../../../src/archive/analytics-queries.js';
import { InvalidInputError } from '../../../src/errors/domain-errors.js';

const at = (iso: string) => new Date(iso);
const DAY_MS = 86_400_000;

describe('assertAnalyticsRange', () => {
  it('accepts a non-empty range up to the maximum length', () => {
    expect(() => assertAnalyticsRange(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00.001Z'))).not.toThrow();
    const from = at('2025-01-01T00:00:00Z');
    expect(() => assertAnalyticsRange(from, new Date(from.getTime() + MAX_RANGE_DAYS * DAY_MS))).not.toThrow();
  });

  it('rejects an empty or reversed range as bad input', () => {
    expect(() => assertAnalyticsRange(at('2026-01-02T00:00:00Z'), at('2026-01-01T00:00:00Z'))).toThrow(InvalidInputError);
    expect(() => assertAnalyticsRange(at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'))).toThrow('from must be before to');
  });

  it('rejects a range longer than the maximum', () => {
    const from = at('2025-01-01T00:00:00Z');
    expect(() => assertAnalyticsRange(from, new Date(from.getTime() + MAX_RANGE_DAYS * DAY_MS + 1))).toThrow(/at most 366 days/);
  });

  it('rejects invalid dates', () => {
    expect(() => assertAnalyticsRange(new Date('nope'), at('2026-01-01T00:00:00Z'))).toThrow(InvalidInputError);
  });

  it('carries the client-facing code', () => {
    try {
      assertAnalyticsRange(at('2026-01-02T00:00:00Z'), at('2026-01-01T00:00:00Z'));
    } catch (error) {
      expect((error as InvalidInputError).code).toBe('BAD_USER_INPUT');
    }
    expect.assertions(1);
  });
});

describe('assertThreadCountLimit', () => {
  it('accepts 1 to 100 and nothing else', () => {
    expect(() => assertThreadCountLimit(1)).not.toThrow();
    expect(() => assertThreadCountLimit(100)).not.toThrow();
    for (const bad of [0, -1, 101, 2.5, Number.NaN]) expect(() => assertThreadCountLimit(bad)).toThrow(InvalidInputError);
  });
});
