import type { Logger } from 'pino';
import { dataDirLayout } from './layout.js';
import { stopOrphanPostgres, stopOrphanRedis } from './orphan-servers.js';
import { takeOwnership } from './owner-file.js';

export interface DataDirClaim {
  /** Gives the data directory up; call after the embedded servers have stopped. */
  release(): Promise<void>;
}

/**
 * Makes this process the one that runs the embedded servers of `dataDir`: refuses when a live
 * Threadline process holds it (DataDirInUseError, nothing signalled), and otherwise stops the
 * embedded Postgres and redis-server that a dead owner left running, so they can be started
 * afresh (Postgres then recovers from its WAL; redis-server replays its AOF). For every process
 * that starts an embedded server: the server, `npm run migrate`, `npm run worker`.
 */
export async function claimDataDir(dataDir: string, log: Logger): Promise<DataDirClaim> {
  const ownership = await takeOwnership(dataDir);
  try {
    const layout = dataDirLayout(dataDir);
    await stopOrphanPostgres(layout.postgres, log);
    await stopOrphanRedis(layout.redis, log);
  } catch (error) {
    await ownership.release();
    throw error;
  }
  return ownership;
}
