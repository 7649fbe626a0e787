import { siblingModule, startCommandChild, type CommandChild } from '../shared/child-process.js';
import type { Command } from './protocol.js';

export type SubscriberDriver = CommandChild<Command>;

/** Forks subscriber-process and waits until it is ready. */
export function startSubscriberDriver(maxMinutes: number): Promise<SubscriberDriver> {
  return startCommandChild<Command>(siblingModule(import.meta.url, 'subscriber-process'), 'subscriber process', {
    args: [String(maxMinutes)],
    nodeOptions: ['--max-old-space-size=4096', '--expose-gc'],
  });
}
