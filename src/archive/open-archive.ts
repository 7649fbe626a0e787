import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { createArchiveQueries, type ArchiveQueries } from './analytics-queries.js';
import { migrateArchive } from './archive-migrations.js';
import { createArchiveClient, type ArchiveClient } from './clickhouse-client.js';

export interface OpenArchive {
  client: ArchiveClient;
  queries: ArchiveQueries;
  /** Resolves once the archive tables exist; the archiver must not start before. */
  ready: Promise<void>;
  release(): Promise<void>;
}

/** How often to retry the ClickHouse migrations while ClickHouse is unreachable, ms. */
const MIGRATE_RETRY_MS = 5_000;

/**
 * chDB binds one data path per process, so every app in this process that asks for the same
 * embedded path shares one client (tests and benchmarks run several apps in one process).
 */
const sharedEmbedded = new Map<string, { archive: Promise<Omit<OpenArchive, 'release'>>; users: number }>();

/**
 * The analytics archive: ClickHouse at CLICKHOUSE_URL, or embedded chDB under the data
 * directory. An unreachable ClickHouse does not stop the server: migrations are retried in the
 * background, analytics queries fail, and the archive catches up once it is back.
 */
export async function openArchive(config: Config['clickhouse'], log: Logger, stopping: () => boolean): Promise<OpenArchive> {
  if (config.kind === 'external') {
    const opened = await open(config, log, stopping);
    return { ...opened, release: () => opened.client.close() };
  }
  const entry = sharedEmbedded.get(config.path) ?? { archive: open(config, log, stopping), users: 0 };
  sharedEmbedded.set(config.path, entry);
  entry.users += 1;
  const opened = await entry.archive;
  return {
    ...opened,
    release: async () => {
      entry.users -= 1;
      if (entry.users > 0) return;
      sharedEmbedded.delete(config.path);
      await opened.client.close();
    },
  };
}

async function open(config: Config['clickhouse'], log: Logger, stopping: () => boolean) {
  const client = await createArchiveClient(config, log);
  const ready = (async () => {
    for (;;) {
      try {
        return await migrateArchive(client, log);
      } catch (error) {
        if (stopping()) throw error;
        log.warn({ err: error }, 'ClickHouse migrations failed; the archive waits and retries');
        await new Promise((resolve) => setTimeout(resolve, MIGRATE_RETRY_MS));
      }
    }
  })().then(() => undefined);
  ready.catch(() => {});
  return { client, queries: createArchiveQueries(client), ready };
}
