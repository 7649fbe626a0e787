import { forkChild, siblingModule } from '../shared/child-process.js';
import type { Command, Reply } from './protocol.js';

export interface SubscriberDriver {
  pid: number;
  /** Runs one command in the subscriber process; rejects after `timeoutMs` without an answer. */
  run<T>(command: Command, timeoutMs: number): Promise<T>;
  stop(): Promise<void>;
}

/** Forks subscriber-process and waits until it is ready. */
export async function startSubscriberDriver(maxMinutes: number): Promise<SubscriberDriver> {
  const child = await forkChild<Reply>(siblingModule(import.meta.url, 'subscriber-process'), 'subscriber process', {
    args: [String(maxMinutes)],
    nodeOptions: ['--max-old-space-size=4096', '--expose-gc'],
  });
  return {
    pid: child.pid,
    async run<T>(command: Command, timeoutMs: number) {
      child.send(command);
      const reply = await child.nextReply(timeoutMs);
      if ('ready' in reply) throw new Error('subscriber process answered out of turn');
      if (!reply.ok) throw new Error(`subscriber process failed on ${command.cmd}: ${reply.error}`);
      return reply.result as T;
    },
    stop: child.stop,
  };
}
