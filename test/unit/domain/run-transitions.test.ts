import { describe, expect, it } from 'vitest';
import { assertRunTransition, isTerminalRunStatus, RUN_STATUSES, type RunStatus } from '../../../src/domain/run.js';
import { InvalidInputError } from '../../../src/errors/domain-errors.js';

// The README's run lifecycle, restated here so that code and README cannot drift apart unseen.
const README_LIFECYCLE: Record<RunStatus, RunStatus[]> = {
  QUEUED: ['IN_PROGRESS', 'CANCELLED', 'FAILED'],
  IN_PROGRESS: ['REQUIRES_ACTION', 'COMPLETED', 'FAILED', 'CANCELLED'],
  REQUIRES_ACTION: ['IN_PROGRESS', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};
const pairs = RUN_STATUSES.flatMap((from) => RUN_STATUSES.map((to) => [from, to] as const));
const legal = pairs.filter(([from, to]) => README_LIFECYCLE[from].includes(to));
const illegal = pairs.filter(([from, to]) => !README_LIFECYCLE[from].includes(to));

describe('run transitions', () => {
  it.each(legal)('%s → %s is allowed', (from, to) => {
    expect(() => assertRunTransition(from, to)).not.toThrow();
  });

  it.each(illegal)('%s → %s is refused as BAD_USER_INPUT', (from, to) => {
    let refusal: unknown;
    try {
      assertRunTransition(from, to);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(InvalidInputError);
    expect((refusal as InvalidInputError).code).toBe('BAD_USER_INPUT');
  });

  it('exactly COMPLETED, FAILED and CANCELLED are final', () => {
    expect(RUN_STATUSES.filter(isTerminalRunStatus)).toEqual(['COMPLETED', 'FAILED', 'CANCELLED']);
    expect(legal).toHaveLength(10);
  });
});
