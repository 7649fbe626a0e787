import type { PrivatePostgres, PrivateRedis } from '../../test/support/private-services.js';

export type FaultAction = 'kill-redis' | 'restart-redis' | 'pause-redis' | 'resume-redis' | 'stop-postgres' | 'start-postgres';

export interface FaultStep {
  atSec: number;
  action: FaultAction;
}

export interface ExecutedStep extends FaultStep {
  startedAtSec: number;
  doneAtSec: number;
}

/**
 * The run of faults of issue 13, item 6: Redis killed and restarted (AOF replay), Postgres
 * crashed (`stop -m immediate`) and started (crash recovery), Redis hung (SIGSTOP) and resumed,
 * then Redis killed again and Postgres crashed again. Each alone recovered; this run did not.
 */
export const ISSUE_13_SCHEDULE: readonly FaultStep[] = [
  { atSec: 15, action: 'kill-redis' },
  { atSec: 20, action: 'restart-redis' },
  { atSec: 35, action: 'stop-postgres' },
  { atSec: 42, action: 'start-postgres' },
  { atSec: 55, action: 'pause-redis' },
  { atSec: 59, action: 'resume-redis' },
  { atSec: 70, action: 'kill-redis' },
  { atSec: 73, action: 'restart-redis' },
  { atSec: 85, action: 'stop-postgres' },
  { atSec: 88, action: 'start-postgres' },
];

/** Steps that end a fault: recovery is measured from when they are done. */
export const RESTORING: ReadonlySet<FaultAction> = new Set(['restart-redis', 'resume-redis', 'start-postgres']);

export interface FaultTargets {
  redis: PrivateRedis;
  postgres: PrivatePostgres;
}

function perform(action: FaultAction, { redis, postgres }: FaultTargets): Promise<void> {
  switch (action) {
    case 'kill-redis':
      return redis.kill();
    case 'restart-redis':
      return redis.restart();
    case 'pause-redis':
      return Promise.resolve(void redis.server.process.kill('SIGSTOP'));
    case 'resume-redis':
      return Promise.resolve(void redis.server.process.kill('SIGCONT'));
    case 'stop-postgres':
      return postgres.crash();
    case 'start-postgres':
      return postgres.start();
  }
}

/** Runs each step at its time (seconds after `epochMs`), in order, and says when each really ran. */
export async function runSchedule(steps: readonly FaultStep[], targets: FaultTargets, epochMs: number, say: (line: string) => void): Promise<ExecutedStep[]> {
  const executed: ExecutedStep[] = [];
  const now = () => (Date.now() - epochMs) / 1000;
  for (const step of steps) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, step.atSec * 1000 - (Date.now() - epochMs))));
    const startedAtSec = now();
    await perform(step.action, targets);
    executed.push({ ...step, startedAtSec, doneAtSec: now() });
    say(`  ${startedAtSec.toFixed(1).padStart(6)} s  ${step.action}`);
  }
  return executed;
}
