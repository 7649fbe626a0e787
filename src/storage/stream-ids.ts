/** Redis Stream entry IDs (`<ms>-<n>`), which the viewer feed and the thread event logs use as cursors. */

/** Orders two entry IDs: negative, zero or positive. */
export function compareStreamIds(left: string, right: string): number {
  const [leftMs, leftSeq] = left.split('-').map(Number) as [number, number];
  const [rightMs, rightSeq] = right.split('-').map(Number) as [number, number];
  return leftMs !== rightMs ? leftMs - rightMs : leftSeq - rightSeq;
}
