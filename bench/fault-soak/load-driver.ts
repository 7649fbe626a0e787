import { forkChild, siblingModule } from '../shared/child-process.js';
import type { SoakLoadJob, SoakLoadReply, SoakLoadResult } from './load-protocol.js';

export interface SoakLoadDriver {
  pid: number;
  /** Runs one job in the child; rejects if it has not answered 60 s after the job's give-up time. */
  run(job: SoakLoadJob): Promise<SoakLoadResult>;
  stop(): Promise<void>;
}

/** Forks the soak's load client (load-client) and waits until it is ready. */
export async function startSoakLoad(): Promise<SoakLoadDriver> {
  const child = await forkChild<SoakLoadReply>(siblingModule(import.meta.url, 'load-client'), 'soak load client');
  return {
    pid: child.pid,
    async run(job) {
      child.send(job);
      const silenceMs = job.epochMs + job.giveUpAtSec * 1000 + 60_000 - Date.now();
      const reply = await child.nextReply(silenceMs);
      if ('ready' in reply) throw new Error('soak load client answered out of turn');
      if (!reply.ok) throw new Error(`soak load client failed: ${reply.error}`);
      return reply.result;
    },
    stop: child.stop,
  };
}
