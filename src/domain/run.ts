import type { RunId, ThreadId } from '../ids/id-types.js';
import { InvalidInputError } from '../errors/domain-errors.js';

export const RUN_STATUSES = ['QUEUED', 'IN_PROGRESS', 'REQUIRES_ACTION', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

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
}

/** The run lifecycle. Terminal states have no way out: a finished run is history. */
const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  QUEUED: ['IN_PROGRESS', 'CANCELLED', 'FAILED'],
  IN_PROGRESS: ['REQUIRES_ACTION', 'COMPLETED', 'FAILED', 'CANCELLED'],
  REQUIRES_ACTION: ['IN_PROGRESS', 'FAILED', 'CANCELLED'],
  COMPLETED: [],
  FAILED: [],
  CANCELLED: [],
};

export function isTerminalRunStatus(status: RunStatus): boolean {
  return TRANSITIONS[status].length === 0;
}

export function assertRunTransition(from: RunStatus, to: RunStatus): void {
  if (!TRANSITIONS[from].includes(to)) {
    const allowed = TRANSITIONS[from].join(', ') || 'none (terminal)';
    throw new InvalidInputError(`Illegal run transition ${from} → ${to}; allowed from ${from}: ${allowed}`, { from, to });
  }
}
