import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { dataDirLayout } from '../data-dir/layout.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface PostgresEndpoint {
  connectionString: string;
  /** Stops the server if this process started it; a no-op for an external server. */
  release(): Promise<void>;
}

/**
 * The configured Postgres: an external server, or the embedded one under the data directory
 * (the caller holds that directory: claimDataDir).
 */
export async function openPostgres(config: Config, log: Logger): Promise<PostgresEndpoint> {
  if (config.postgres.kind === 'external') {
    return { connectionString: config.postgres.url, release: async () => {} };
  }
  const embedded = await startEmbeddedPostgres({
    directory: dataDirLayout(config.dataDir).postgres,
    port: config.postgres.port,
    log,
  });
  return { connectionString: embedded.connectionString, release: () => embedded.stop() };
}
