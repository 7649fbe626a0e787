import type { Logger } from 'pino';

/**
 * A background job run one at a time on a timer. `runIn(ms)` asks for a run within `ms`: it only
 * ever brings the next run forward, and a run asked for while one is under way follows it. A
 * failed run is logged and tried again after `retryMs`. Nothing runs between `stop` and `start`.
 */
export function createTimedJob(job: () => Promise<void>, log: Logger, failure: string, retryMs = 1_000) {
  let active = false;
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Infinity;
  let running: Promise<void> | undefined;
  let again = false;

  function execute(): Promise<void> {
    running = job()
      .catch((error) => {
        log.warn({ err: error }, failure);
        runIn(retryMs);
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          runIn(0);
        }
      });
    return running;
  }

  function runIn(delayMs: number): void {
    if (!active) return;
    const at = Date.now() + delayMs;
    if (at >= dueAt) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(() => {
      dueAt = Infinity;
      timer = undefined;
      if (running) again = true;
      else void execute();
    }, delayMs);
    timer.unref();
  }

  return {
    runIn,
    /** From now on runs as asked; with `runNow`, once at once as well, and the caller waits for that run. */
    async start(runNow: boolean): Promise<void> {
      active = true;
      if (!runNow) return;
      if (running) await running;
      else await execute();
    },
    /** Lets a run under way finish; schedules nothing more. */
    async stop(): Promise<void> {
      active = false;
      clearTimeout(timer);
      timer = undefined;
      dueAt = Infinity;
      await running;
    },
  };
}
