import type { Config } from '../config.js';
import { CONSUMER_GROUPS } from '../storage/redis-keys.js';

/** The consumers of the persistence stream, each reading it as a consumer group of its own. */
export const STREAM_WORKERS = ['persister', 'archiver'] as const;
export type StreamWorker = (typeof STREAM_WORKERS)[number];

/** The consumer group each worker reads the stream as. */
export const GROUP_OF: Readonly<Record<StreamWorker, string>> = { persister: CONSUMER_GROUPS.postgres, archiver: CONSUMER_GROUPS.clickhouse };

export function isStreamWorker(name: string): name is StreamWorker {
  return (STREAM_WORKERS as readonly string[]).includes(name);
}

/**
 * The one rule on where the archiver may run. Embedded chDB binds its data path to a single
 * process, and the server opens it (it answers analytics from it), so with embedded ClickHouse
 * the server runs the archiver itself, whatever RUN_WORKERS_IN_PROCESS says, and no worker can.
 * With CLICKHOUSE_URL every process reaches the archive, and the archiver goes where the
 * persister goes.
 */
export function archiverStaysInServer(clickhouse: Config['clickhouse']): boolean {
  return clickhouse.kind === 'embedded';
}

/** The workers a server runs: every one with RUN_WORKERS_IN_PROCESS, else only an archiver that must stay in it. */
export function serverStreamWorkers(config: Config): StreamWorker[] {
  return STREAM_WORKERS.filter((worker) => config.workers.inProcess || (worker === 'archiver' && archiverStaysInServer(config.clickhouse)));
}

export interface StandaloneWorkers {
  /** What this worker process runs. */
  run: StreamWorker[];
  /** Asked for, but the server runs it (see archiverStaysInServer). */
  leftToServer: StreamWorker[];
}

/** The workers `npm run worker` runs: those asked for (default every one), less an archiver that must stay in the server. */
export function standaloneStreamWorkers(config: Config, requested: readonly StreamWorker[] = STREAM_WORKERS): StandaloneWorkers {
  const leftToServer = requested.filter((worker) => worker === 'archiver' && archiverStaysInServer(config.clickhouse));
  return { run: requested.filter((worker) => !leftToServer.includes(worker)), leftToServer };
}
