import { describe, expect, it } from 'vitest';
import {
  ACTIVE_RUN_STATUSES,
  assertReportedRunTransition,
  assertRunTransition,
  cancelTargetOf,
  isActiveRunStatus,
  isTerminalRunStatus,
  RUN_STATUSES,
  type RunStatus,
} from '../../../src/domain/run.js';
import { InvalidInputError } from '../../../src/errors/domain-errors.js';

// The README's run lifecycle, restated here so that code and README cannot drift apart unseen.
const README_LIFECYCLE: Record<RunStatus, RunStatus[]> = {
  QUEUED: ['IN_PROGRESS', 'CANCELLED', 'FAILED'],
  IN_PROGRESS: ['REQUIRES_ACTION', 'COMPLETED', 'FAILED', 'CANCELLED', 'CANCELLING'],
  REQUIRES_ACTION: ['IN_PROGRESS', 'FAILED', 'CANCELLED', 'CANCELLING'],
  CANCELLING: ['CANCELLED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};
const pairs = RUN_STATUSES.flatMap((from) => RUN_STATUSES.map((to) => [from, to] as const));
const legal = pairs.filter(([from, to]) => README_LIFECYCLE[from].includes(to));
const illegal = pairs.filter(([from, to]) => !README_LIFECYCLE[from].includes(to));

function refusalOf(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('run transitions', () => {
  it.each(legal)('%s → %s is allowed', (from, to) => {
    expect(() => assertRunTransition(from, to)).not.toThrow();
  });

  it.each(illegal)('%s → %s is refused as BAD_USER_INPUT', (from, to) => {
    const refusal = refusalOf(() => assertRunTransition(from, to));
    expect(refusal).toBeInstanceOf(InvalidInputError);
    expect((refusal as InvalidInputError).code).toBe('BAD_USER_INPUT');
  });

  it('exactly COMPLETED, FAILED and CANCELLED are final; the rest are active', () => {
    expect(RUN_STATUSES.filter(isTerminalRunStatus)).toEqual(['COMPLETED', 'FAILED', 'CANCELLED']);
    expect(RUN_STATUSES.filter(isActiveRunStatus)).toEqual([...ACTIVE_RUN_STATUSES]);
    expect(ACTIVE_RUN_STATUSES).toEqual(['QUEUED', 'IN_PROGRESS', 'REQUIRES_ACTION', 'CANCELLING']);
    expect(legal).toHaveLength(14);
  });

  it('an agent reports every legal transition but CANCELLING, which only a cancel asks for', () => {
    for (const [from, to] of legal) {
      if (to === 'CANCELLING') expect(refusalOf(() => assertReportedRunTransition(from, to))).toBeInstanceOf(InvalidInputError);
      else expect(() => assertReportedRunTransition(from, to)).not.toThrow();
    }
  });
});

describe('cancelTargetOf', () => {
  it('cancels QUEUED at once, asks working runs to stop, leaves CANCELLING alone', () => {
    expect(cancelTargetOf('QUEUED')).toBe('CANCELLED');
    expect(cancelTargetOf('IN_PROGRESS')).toBe('CANCELLING');
    expect(cancelTargetOf('REQUIRES_ACTION')).toBe('CANCELLING');
    expect(cancelTargetOf('CANCELLING')).toBeNull();
  });

  it.each<RunStatus>(['COMPLETED', 'FAILED', 'CANCELLED'])('refuses a %s run as an illegal transition', (status) => {
    const refusal = refusalOf(() => cancelTargetOf(status));
    expect(refusal).toBeInstanceOf(InvalidInputError);
    expect((refusal as Error).message).toContain(`${status} → CANCELLED`);
  });
});
