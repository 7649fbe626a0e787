/** Days the charts cover, today (UTC) included. */
export const CHART_DAYS = 14;
const DAY_MS = 86_400_000;

/**
 * The range the charts ask Query.analytics for, [from, to): the last CHART_DAYS UTC days up to
 * the end of today, and those days (YYYY-MM-DD), oldest first, to label the bars with.
 */
export function chartRange(now: Date): { from: string; to: string; days: string[] } {
  const tomorrow = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  const days = Array.from({ length: CHART_DAYS }, (_, i) => new Date(tomorrow - (CHART_DAYS - i) * DAY_MS).toISOString().slice(0, 10));
  return { from: new Date(tomorrow - CHART_DAYS * DAY_MS).toISOString(), to: new Date(tomorrow).toISOString(), days };
}
