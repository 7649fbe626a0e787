import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { REDIS_PID_FILE } from '../storage/embedded-redis.js';
import { commandLine, executableName, isRunning, parentPid, resolvedDirectory, workingDirectory } from './process-inspection.js';

// The embedded Postgres and redis-server are processes of their own: when the Threadline process
// that started them dies without stopping them (kill -9, OOM killer), they keep running, holding
// the data directory and the port, and the next start would fail. Called only once this process
// owns the data directory (claim-data-dir.ts), so a server found running there has no live owner.

/** How long an orphan gets to finish its shutdown (Postgres writes a checkpoint first). Default 60 s. */
const EXIT_TIMEOUT_MS = 60_000;

/**
 * Stops the Postgres found in `postmaster.pid` of `directory` with a fast shutdown (SIGINT: open
 * transactions roll back, a checkpoint is written), and waits for it to exit.
 */
export async function stopOrphanPostgres(directory: string, log: Logger): Promise<void> {
  const isPostgres = (pid: number) => executableName(pid) === 'postgres';
  const pid = await orphanIn(directory, 'postmaster.pid', isPostgres, log);
  if (pid !== undefined) await stopOrphan(pid, 'SIGINT', { server: 'postgres', directory }, log);
}

/** Stops the redis-server found in its pid file in `directory` (SIGTERM: it flushes its AOF), and waits for it to exit. */
export async function stopOrphanRedis(directory: string, log: Logger): Promise<void> {
  // redis-server rewrites its command line to its title, e.g. `redis-server 127.0.0.1:56379`.
  const isRedis = (pid: number) => path.basename(commandLine(pid)?.[0]?.split(' ')[0] ?? '') === 'redis-server';
  const pid = await orphanIn(directory, REDIS_PID_FILE, isRedis, log);
  if (pid !== undefined) await stopOrphan(pid, 'SIGTERM', { server: 'redis-server', directory }, log);
}

/**
 * The PID in `pidFile` if it is a running server of `directory` and nobody's child: the server's
 * binary, running in that very directory (both servers chdir into it), whose parent is not a
 * Node.js process (a live Threadline server, perhaps one too old to write an owner file). A PID
 * reused by any other process fails these checks and is left alone.
 */
async function orphanIn(directory: string, pidFile: string, isServer: (pid: number) => boolean, log: Logger): Promise<number | undefined> {
  const text = await readFile(path.join(directory, pidFile), 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]?.trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isRunning(pid)) return undefined;
  const inDirectory = workingDirectory(pid) === resolvedDirectory(directory);
  if (!inDirectory || !isServer(pid)) {
    log.debug({ pid, pidFile: path.join(directory, pidFile) }, 'pid file names a process that is not this directory’s server; left alone');
    return undefined;
  }
  const parent = parentPid(pid);
  if (parent !== undefined && parent !== 1 && isRunning(parent) && executableName(parent)?.startsWith('node')) {
    throw new Error(
      `A server still runs in ${directory} (pid ${pid}), started by a live Node.js process (pid ${parent}) that holds no claim on it; ` +
        'stop that process, or use another DATA_DIR.',
    );
  }
  return pid;
}

async function stopOrphan(pid: number, signal: NodeJS.Signals, where: { server: string; directory: string }, log: Logger): Promise<void> {
  log.warn({ pid, ...where }, `stopping the ${where.server} left running by a Threadline process that died`);
  process.kill(pid, signal);
  const deadline = Date.now() + EXIT_TIMEOUT_MS;
  while (isRunning(pid)) {
    if (Date.now() > deadline) throw new Error(`The ${where.server} left running in ${where.directory} (pid ${pid}) did not exit within ${EXIT_TIMEOUT_MS / 1000} s of ${signal}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  log.info({ pid, ...where }, `${where.server} left running by a dead process stopped`);
}
