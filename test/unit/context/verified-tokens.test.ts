import { describe, expect, it } from 'vitest';
import { VerifiedTokens } from '../../../src/context/verified-tokens.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('VerifiedTokens', () => {
  it('forgets a verification after maxAgeMs even when the token expires much later', () => {
    const verified = new VerifiedTokens({ maxEntries: 10, maxAgeMs: 5 * MINUTE });
    verified.remember('t', 'alice', 30 * DAY, 0);
    expect(verified.find('t', 5 * MINUTE - 1)).toBe('alice');
    expect(verified.find('t', 5 * MINUTE)).toBeUndefined();
    expect(verified.size).toBe(0);
  });

  it("forgets it at the token's expiry when that comes first", () => {
    const verified = new VerifiedTokens({ maxEntries: 10, maxAgeMs: 5 * MINUTE });
    verified.remember('t', 'bob', MINUTE, 0);
    expect(verified.find('t', MINUTE - 1)).toBe('bob');
    expect(verified.find('t', MINUTE)).toBeUndefined();
  });

  it('drops entries past their age when a new token is remembered, not only when they are looked up', () => {
    const verified = new VerifiedTokens({ maxEntries: 10, maxAgeMs: 5 * MINUTE });
    for (let i = 0; i < 5; i++) verified.remember(`old${i}`, 'carol', 30 * DAY, i);
    verified.remember('recent', 'carol', 30 * DAY, 3 * MINUTE);
    expect(verified.size).toBe(6);
    verified.remember('new', 'dave', 30 * DAY, 5 * MINUTE + 3);
    // old0..old3 (verified at 0..3 ms) are 5 minutes old or more; old4 and the rest are not.
    expect(verified.size).toBe(3);
    expect(verified.find('old4', 5 * MINUTE + 3)).toBe('carol');
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const verified = new VerifiedTokens({ maxEntries: 3, maxAgeMs: 5 * MINUTE });
    for (const token of ['a', 'b', 'c', 'd']) verified.remember(token, token, DAY, 0);
    expect(verified.size).toBe(3);
    expect(verified.find('a', 0)).toBeUndefined();
    expect(verified.find('d', 0)).toBe('d');
  });
});
