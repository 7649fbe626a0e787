export interface Readiness {
  /** Seconds since the soak's epoch. */
  atSec: number;
  /** /ready's status (ready, degraded, unavailable), or `no answer`. */
  status: string;
  writePath: string;
  redis: string;
  postgres: string;
}

export interface ReadinessMonitor {
  /** Every change of state seen, the first sample included. */
  readonly changes: Readiness[];
  /** The last sample. */
  readonly latest: Readiness | undefined;
  /** Resolves with the first sample (from now on) that satisfies `predicate`, or undefined at `deadlineSec`. */
  waitFor(predicate: (state: Readiness) => boolean, deadlineSec: number): Promise<Readiness | undefined>;
  stop(): void;
}

/** The fast path, as /ready reports it: Postgres up and writes going through Redis. */
export const onFastPath = (state: Readiness) => state.status === 'ready' && state.writePath === 'redis';

/** Polls the server's /ready every `intervalMs` (each poll bounded by 2 s) and keeps the changes. */
export function monitorReadiness(origin: string, epochMs: number, intervalMs = 250): ReadinessMonitor {
  const changes: Readiness[] = [];
  let latest: Readiness | undefined;
  let running = true;
  const waiters = new Set<(state: Readiness) => void>();
  const poll = async () => {
    while (running) {
      const started = Date.now();
      latest = await sample(origin, epochMs);
      const previous = changes.at(-1);
      if (!previous || key(previous) !== key(latest)) changes.push(latest);
      for (const waiter of waiters) waiter(latest);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (Date.now() - started))));
    }
  };
  void poll();
  return {
    changes,
    get latest() {
      return latest;
    },
    waitFor(predicate, deadlineSec) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => finish(undefined), Math.max(0, deadlineSec * 1000 - (Date.now() - epochMs)));
        const waiter = (state: Readiness) => predicate(state) && finish(state);
        function finish(state: Readiness | undefined) {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(state);
        }
        waiters.add(waiter);
      });
    },
    stop: () => void (running = false),
  };
}

const key = (state: Readiness) => `${state.status}/${state.writePath}/${state.redis}/${state.postgres}`;

async function sample(origin: string, epochMs: number): Promise<Readiness> {
  const atSec = (Date.now() - epochMs) / 1000;
  try {
    const response = await fetch(`${origin}/ready`, { signal: AbortSignal.timeout(2_000) });
    const body = (await response.json()) as Partial<Readiness>;
    return { atSec, status: String(body.status), writePath: String(body.writePath), redis: String(body.redis), postgres: String(body.postgres) };
  } catch {
    return { atSec, status: 'no answer', writePath: '?', redis: '?', postgres: '?' };
  }
}
