import { describe, expect, it } from 'vitest';
import { unreadCountOf } from '../../../src/storage/read-state.js';

describe('unreadCountOf', () => {
  it('is the messages after the read position (seqs are gap-free)', () => {
    expect(unreadCountOf(7, 5)).toBe(2);
    expect(unreadCountOf(5, 5)).toBe(0);
    expect(unreadCountOf(3, 0)).toBe(3);
  });

  it('is never negative, even when the reported last seq trails a position marked from Redis', () => {
    expect(unreadCountOf(2, 5)).toBe(0);
  });
});
