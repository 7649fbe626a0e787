import { describe, expect, it } from 'vitest';
import { parseFeedAnnouncement, parseFeedCursor } from '../../../src/storage/viewer-feed.js';
import { compareStreamIds } from '../../../src/storage/stream-ids.js';

describe('viewer feed cursors', () => {
  it('accepts stream entry IDs and refuses anything else with BAD_USER_INPUT', () => {
    for (const cursor of ['0-0', '1796592553334-0', '1796592553334-17']) expect(parseFeedCursor(cursor)).toBe(cursor);
    for (const bad of ['', '12', '1-2-3', '-1-0', 'a-b', '1796592553334-0 ', '1234567890123456-0']) {
      expect(() => parseFeedCursor(bad), bad).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    }
  });

  it('orders by time, then by sequence within one millisecond, numerically', () => {
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareStreamIds('10-10', '10-10')).toBe(0);
    expect(compareStreamIds('11-0', '10-99')).toBeGreaterThan(0);
  });

  it('reads an announcement back into its entry, data with newlines escaped as JSON keeps them', () => {
    expect(parseFeedAnnouncement('5-1\nThreadActivity\n{"content":"a\\nb"}')).toEqual({ cursor: '5-1', type: 'ThreadActivity', data: '{"content":"a\\nb"}' });
    expect(parseFeedAnnouncement('no newline')).toBeUndefined();
  });
});
