import type { RunId, ThreadId } from '../ids/id-types.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import type { RunUsage } from './run-usage.js';

export const RUN_STATUSES = ['QUEUED', 'IN_PROGRESS', 'REQUIRES_ACTION', 'CANCELLING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A run that still occupies its thread: not yet final. */
export const ACTIVE_RUN_STATUSES = ['QUEUED', 'IN_PROGRESS', 'REQUIRES_ACTION', 'CANCELLING'] as const satisfies readonly RunStatus[];

/** What startRun does when the thread already has an active run. */
export type MultitaskStrategy = 'REJECT' | 'ENQUEUE' | 'INTERRUPT';

export interface Run {
  id: RunId;
  threadId: ThreadId;
  status: RunStatus;
  metadata: Record<string, unknown>;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  /** Who started it on the owner's behalf (a delegated token's `act.sub`), or null: the owner. */
  actor: string | null;
  /** The model the agent reported running on; null until it reports one. */
  model: string | null;
  /** The tokens the agent last reported; null until it reports any. */
  usage: RunUsage | null;
}

/**
 * The run lifecycle. Terminal states have no way out: a finished run is history. CANCELLING
 * (a cancel asked for while the agent works) ends only CANCELLED, or FAILED if the agent broke
 * off with an error: a cancel asked for is never answered with COMPLETED.
 */
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  QUEUED: ['IN_PROGRESS', 'CANCELLED', 'FAILED'],
  IN_PROGRESS: ['REQUIRES_ACTION', 'COMPLETED', 'FAILED', 'CANCELLED', 'CANCELLING'],
  REQUIRES_ACTION: ['IN_PROGRESS', 'FAILED', 'CANCELLED', 'CANCELLING'],
  CANCELLING: ['CANCELLED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export function isTerminalRunStatus(status: RunStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function isActiveRunStatus(status: RunStatus): boolean {
  return (ACTIVE_RUN_STATUSES as readonly RunStatus[]).includes(status);
}

export function assertRunTransition(from: RunStatus, to: RunStatus): void {
  if (!TRANSITIONS[from].includes(to)) {
    const allowed = TRANSITIONS[from].join(', ') || 'none (terminal)';
    throw new InvalidInputError(`Illegal run transition ${from} → ${to}; allowed from ${from}: ${allowed}`, { from, to });
  }
}

/**
 * A transition the agent reports through updateRunStatus. CANCELLING is a request of the user's
 * (cancelRun, or startRun with INTERRUPT), never a report, so it is refused here.
 */
export function assertReportedRunTransition(from: RunStatus, to: RunStatus): void {
  if (to === 'CANCELLING') {
    throw new InvalidInputError('A run becomes CANCELLING through cancelRun or startRun with INTERRUPT, not updateRunStatus', { from, to });
  }
  assertRunTransition(from, to);
}

/**
 * Where a cancel takes a run: a QUEUED one never started, so it is CANCELLED at once; a working
 * one is asked to stop (CANCELLING) and its agent confirms. Null: already CANCELLING, nothing to
 * do. A final run cannot be cancelled (BAD_USER_INPUT, as an illegal transition).
 */
export function cancelTargetOf(status: RunStatus): RunStatus | null {
  if (status === 'CANCELLING') return null;
  const to: RunStatus = status === 'IN_PROGRESS' || status === 'REQUIRES_ACTION' ? 'CANCELLING' : 'CANCELLED';
  assertRunTransition(status, to);
  return to;
}

