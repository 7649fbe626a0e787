import { forkChild, siblingModule } from '../shared/child-process.js';
import type { LoadJob, LoadResult } from './load-protocol.js';

type Reply = { ok: true; result: LoadResult } | { ok: false; error: string };

export interface LoadDriver {
  pid: number;
  /** Runs one job in the child; rejects if it has not answered `durationSec + 30` s later. */
  run(job: LoadJob): Promise<LoadResult>;
  /** Ends the child (and with it any run in progress). */
  stop(): Promise<void>;
}

/** Forks the load client (load-client) and waits until it is ready. */
export async function startLoadDriver(): Promise<LoadDriver> {
  const child = await forkChild<Reply>(siblingModule(import.meta.url, 'load-client'), 'load client');
  return {
    pid: child.pid,
    async run(job) {
      child.send(job);
      const reply = await child.nextReply((job.durationSec + 30) * 1000);
      if ('ready' in reply) throw new Error('load client answered out of turn');
      if (!reply.ok) throw new Error(`load client failed: ${reply.error}`);
      return reply.result;
    },
    stop: child.stop,
  };
}
