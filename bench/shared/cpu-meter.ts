import { readdirSync, readFileSync } from 'node:fs';

/**
 * How much CPU the rest of the machine used while the bench ran: total busy time (from
 * /proc/stat) minus the time of this process and everything it started (servers, the load
 * client, redis-server, Postgres). On a shared 2-core machine this is what tells a clean run
 * from one that competed with someone's test suite. Linux only; elsewhere it reports null.
 */
export interface CpuSnapshot {
  at: number;
  busyTicks: number;
  stealTicks: number;
  ownTicks: number;
  /** The bench's ticks by component: this process (both servers, workers), postgres, redis-server, the rest (load client). */
  parts: Record<Part, number>;
}

/** serverMain: the event loop (JS); serverThreads: the process's other threads (libuv pool, GC, embedded chDB). */
export type Part = 'serverMain' | 'serverThreads' | 'postgres' | 'redis' | 'loadClient';

export function cpuSnapshot(rootPid = process.pid): CpuSnapshot | null {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    const parts = treeTicks(rootPid);
    const ownTicks = Object.values(parts).reduce((sum, ticks) => sum + ticks, 0);
    return { at: Date.now(), busyTicks: user + nice + system + irq + softirq, stealTicks: steal, ownTicks, parts };
  } catch {
    return null;
  }
}

/** CPU used between two snapshots, in cores (1 = one core busy the whole time). */
export function cpuBetween(before: CpuSnapshot | null, after: CpuSnapshot | null) {
  if (!before || !after || after.at <= before.at) return null;
  const ticksPerSecond = 100; // USER_HZ on Linux
  const seconds = (after.at - before.at) / 1000;
  const cores = (ticks: number) => Math.round((ticks / ticksPerSecond / seconds) * 100) / 100;
  const own = after.ownTicks - before.ownTicks;
  const parts = Object.fromEntries(
    (Object.keys(after.parts) as Part[]).map((part) => [part, cores(after.parts[part] - before.parts[part])]),
  ) as Record<Part, number>;
  return {
    benchCores: cores(own),
    otherCores: cores(Math.max(0, after.busyTicks - before.busyTicks - own)),
    stealCores: cores(after.stealTicks - before.stealTicks),
    parts,
  };
}

/** Waits until the rest of the machine uses under `maxOtherCores`, sampling 1 s at a time, at most `timeoutMs`. */
export async function waitForQuietMachine(maxOtherCores: number, timeoutMs: number): Promise<{ waitedMs: number; otherCores: number | null }> {
  const started = Date.now();
  for (;;) {
    const before = cpuSnapshot();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const usage = cpuBetween(before, cpuSnapshot());
    if (!usage || usage.otherCores <= maxOtherCores || Date.now() - started >= timeoutMs) {
      return { waitedMs: Date.now() - started, otherCores: usage?.otherCores ?? null };
    }
  }
}

/** utime + stime of `rootPid` and all its descendants, by component. */
function treeTicks(rootPid: number): Record<Part, number> {
  const children = new Map<number, number[]>();
  const processes = new Map<number, { ticks: number; own: number; name: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Fields after the command name, which is in parentheses and may contain spaces.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      const ppid = Number(rest[1]);
      // utime + stime, plus cutime + cstime: children it has reaped (Postgres backends that ended) stay counted.
      const ticks = Number(rest[11]) + Number(rest[12]) + Number(rest[13]) + Number(rest[14]);
      processes.set(pid, { ticks, name, own: Number(rest[11]) + Number(rest[12]) });
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    } catch {
      // The process ended while we looked.
    }
  }
  const parts: Record<Part, number> = { serverMain: 0, serverThreads: 0, postgres: 0, redis: 0, loadClient: 0 };
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.pop() as number;
    const info = processes.get(pid);
    if (pid === rootPid && info) {
      const main = taskTicks(pid, pid);
      parts.serverMain += main;
      parts.serverThreads += info.own - main;
    } else if (info) {
      parts[partOf(info.name)] += info.ticks;
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return parts;
}

/** utime + stime of one thread. */
function taskTicks(pid: number, tid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0;
  }
}

function partOf(name: string): Part {
  if (name.startsWith('postgres')) return 'postgres';
  if (name.startsWith('redis')) return 'redis';
  return 'loadClient';
}
