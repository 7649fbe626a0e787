import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

// What this machine says about a process, read from Linux's /proc. Everything answers
// `undefined` when it cannot be read (no /proc, another user's process, the process is gone), and
// callers treat "unknown" as "not ours": a process is only ever signalled when it is positively
// identified.

/** Whether `pid` is a process that still runs: a zombie (exited, not yet reaped) does not. */
export function isRunning(pid: number): boolean {
  const state = statFields(pid)?.[0];
  if (state !== undefined) return state !== 'Z' && state !== 'X';
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When the process started, in clock ticks since boot, with the boot's ID: a PID can be reused,
 * the pair (PID, start) cannot.
 */
export function processStart(pid: number): string | undefined {
  const started = statFields(pid)?.[19];
  const boot = readOrUndefined('/proc/sys/kernel/random/boot_id')?.trim();
  return started && boot ? `${boot}:${started}` : undefined;
}

/** The PID of the process's parent. */
export function parentPid(pid: number): number | undefined {
  const ppid = Number(statFields(pid)?.[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

/** Its working directory, resolved. Postgres and redis-server both run in their data directory. */
export function workingDirectory(pid: number): string | undefined {
  try {
    return realpathSync(readlinkSync(`/proc/${pid}/cwd`));
  } catch {
    return undefined;
  }
}

/** The file name of the binary it runs (`postgres`, `node`), ignoring a ` (deleted)` suffix left by an upgrade. */
export function executableName(pid: number): string | undefined {
  try {
    return path.basename(readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, ''));
  } catch {
    return undefined;
  }
}

/** Its command line, as the process shows it (redis-server rewrites its own: `redis-server 127.0.0.1:56379`). */
export function commandLine(pid: number): string[] | undefined {
  const raw = readOrUndefined(`/proc/${pid}/cmdline`);
  return raw ? raw.split('\0').filter((part) => part.length > 0) : undefined;
}

/** `directory` resolved through symlinks, or as given when it does not exist. */
export function resolvedDirectory(directory: string): string {
  try {
    return realpathSync(directory);
  } catch {
    return path.resolve(directory);
  }
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and parentheses): state first. */
function statFields(pid: number): string[] | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
