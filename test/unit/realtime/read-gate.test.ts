import { describe, expect, it } from 'vitest';
import { createReadGate } from '../../../src/realtime/read-gate.js';

describe('createReadGate', () => {
  it('runs at most `width` reads at once, the rest in arrival order, and frees a place on failure too', async () => {
    const gate = createReadGate(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const read = (n: number, fail = false) =>
      gate(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        order.push(n);
        if (fail) throw new Error(`read ${n} failed`);
        return n;
      });
    const results = await Promise.allSettled([read(1), read(2, true), read(3), read(4), read(5)]);
    expect(most).toBe(2);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    // Every place came back: a later burst still gets `width` at once.
    most = 0;
    await Promise.all([read(6), read(7), read(8)]);
    expect(most).toBe(2);
  });
});
