import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, Reply } from './protocol.js';

export interface SubscriberDriver {
  pid: number;
  /** Runs one command in the subscriber process; rejects after `timeoutMs` without an answer. */
  run<T>(command: Command, timeoutMs: number): Promise<T>;
  stop(): Promise<void>;
}

/** Forks subscriber-process.ts under tsx and waits until it is ready. */
export async function startSubscriberDriver(maxMinutes: number): Promise<SubscriberDriver> {
  const child = fork(fileURLToPath(new URL('./subscriber-process.ts', import.meta.url)), [String(maxMinutes)], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await nextReply(child, 30_000);
  return {
    pid: child.pid as number,
    async run<T>(command: Command, timeoutMs: number) {
      child.send(command);
      const reply = await nextReply(child, timeoutMs);
      if ('ready' in reply) throw new Error('subscriber process answered out of turn');
      if (!reply.ok) throw new Error(`subscriber process failed on ${command.cmd}: ${reply.error}`);
      return reply.result as T;
    },
    stop: () => stopChild(child),
  };
}

function nextReply(child: ChildProcess, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(new Error(`subscriber process silent for ${timeoutMs} ms`))), timeoutMs);
    const onMessage = (message: Reply) => finish(() => resolve(message));
    const onExit = (code: number | null, signal: string | null) =>
      finish(() => reject(new Error(`subscriber process exited (code ${code}, signal ${signal})`)));
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
