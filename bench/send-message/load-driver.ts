import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LoadJob, LoadResult } from './load-protocol.js';

type Reply = { ready: true } | { ok: true; result: LoadResult } | { ok: false; error: string };

export interface LoadDriver {
  pid: number;
  /** Runs one job in the child; rejects if it has not answered `durationSec + 30` s later. */
  run(job: LoadJob): Promise<LoadResult>;
  /** Ends the child (and with it any run in progress). */
  stop(): Promise<void>;
}

/** Forks the load client (load-client.ts under tsx) and waits until it is ready. */
export async function startLoadDriver(): Promise<LoadDriver> {
  const child = fork(fileURLToPath(new URL('./load-client.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await nextReply(child, 30_000);
  return {
    pid: child.pid as number,
    async run(job) {
      child.send(job);
      const reply = await nextReply(child, (job.durationSec + 30) * 1000);
      if ('ready' in reply) throw new Error('load client answered out of turn');
      if (!reply.ok) throw new Error(`load client failed: ${reply.error}`);
      return reply.result;
    },
    stop: () => stopChild(child),
  };
}

function nextReply(child: ChildProcess, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error(`load client silent for ${timeoutMs} ms`))), timeoutMs);
    const onMessage = (message: Reply) => finish(() => resolve(message));
    const onExit = (code: number | null, signal: string | null) =>
      finish(() => reject(new Error(`load client exited (code ${code}, signal ${signal})`)));
    function finish(settle: () => void) {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle();
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    if (child.connected) child.disconnect();
    child.kill('SIGTERM');
  });
}
