import { describe, expect, it } from 'vitest';
import { CHART_DAYS, chartRange } from '../../dashboard/src/chart-range.js';

describe("the dashboard charts' range", () => {
  it('covers the last CHART_DAYS UTC days up to the end of today, oldest first', () => {
    const range = chartRange(new Date('2026-03-01T23:30:00-05:00')); // 04:30 UTC on 2 March
    expect(range.to).toBe('2026-03-03T00:00:00.000Z');
    expect(range.from).toBe('2026-02-17T00:00:00.000Z');
    expect(range.days).toHaveLength(CHART_DAYS);
    expect(range.days[0]).toBe('2026-02-17');
    expect(range.days.at(-1)).toBe('2026-03-02');
    // Within the 366 days Query.analytics accepts.
    expect(Date.parse(range.to) - Date.parse(range.from)).toBe(CHART_DAYS * 86_400_000);
  });
});
