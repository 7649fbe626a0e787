import { RESTORING, type ExecutedStep } from './fault-schedule.js';
import type { SoakAck } from './load-protocol.js';
import { onFastPath, type Readiness } from './readiness-monitor.js';

export interface FaultRecovery {
  action: string;
  restoredAtSec: number;
  /** Seconds from the restoring step until /ready first reported the fast path again; null if it never did before the next fault. */
  fastPathAfterSec: number | null;
}

export interface RecoveryCheck {
  /** Each restoring step, and how soon the fast path followed it. */
  faults: FaultRecovery[];
  lastFaultDoneAtSec: number;
  /** Seconds from the last restoring step to the fast path for good (no later change away from it); null if never. */
  finalRecoverySec: number | null;
  boundSec: number;
  /** The state /ready was in when the soak stopped watching. */
  finalState: Readiness | undefined;
  /** FAST sends made after the recovery: how many, and how many were answered HOT. */
  probe: { sent: number; hot: number };
  ok: boolean;
}

/** When /ready first said `fast path` in [fromSec, untilSec), from the list of state changes. */
function firstFastPath(changes: readonly Readiness[], fromSec: number, untilSec: number): number | null {
  const inEffect = changes.filter((state) => state.atSec <= fromSec).at(-1);
  if (inEffect && onFastPath(inEffect)) return 0;
  const reached = changes.find((state) => state.atSec > fromSec && state.atSec < untilSec && onFastPath(state));
  return reached ? reached.atSec - fromSec : null;
}

/**
 * The fast path must come back within `boundSec` of the last fault's end and stay (every later
 * /ready sample on it), and FAST sends made afterwards must be answered HOT again.
 */
export function checkRecovery(steps: readonly ExecutedStep[], changes: readonly Readiness[], finalState: Readiness | undefined, probeAcks: readonly SoakAck[], probeSent: number, boundSec: number): RecoveryCheck {
  const faults = steps.flatMap((step, index) => {
    if (!RESTORING.has(step.action)) return [];
    const next = steps[index + 1]?.startedAtSec ?? Number.POSITIVE_INFINITY;
    return [{ action: step.action, restoredAtSec: step.doneAtSec, fastPathAfterSec: firstFastPath(changes, step.doneAtSec, next) }];
  });
  const lastFaultDoneAtSec = steps.at(-1)?.doneAtSec ?? 0;
  const lastChange = changes.at(-1);
  const finalRecoverySec = lastChange && onFastPath(lastChange) ? Math.max(0, lastChange.atSec - lastFaultDoneAtSec) : null;
  const hot = probeAcks.filter((ack) => ack.durability === 'HOT').length;
  const ok = finalRecoverySec !== null && finalRecoverySec <= boundSec && probeSent > 0 && hot === probeSent;
  return { faults, lastFaultDoneAtSec, finalRecoverySec, boundSec, finalState, probe: { sent: probeSent, hot }, ok };
}
