import type { Redis } from 'ioredis';

/**
 * Kills this process's Redis subscriber connections (the servers' `threadline-events-<pid>`), as a
 * Redis restart or a network drop would; how many it killed.
 */
export async function killSubscriberConnections(admin: Redis): Promise<number> {
  const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
  const ours = list.split('\n').filter((line) => line.includes(` name=threadline-events-${process.pid} `));
  for (const line of ours) await admin.call('CLIENT', 'KILL', 'ID', /id=(\d+)/.exec(line)![1]!);
  return ours.length;
}
