// Applies pending migrations: `npm run migrate` (uses DATABASE_URL, or the embedded Postgres).
import { loadConfig } from '../config.js';
import { claimDataDir } from '../data-dir/claim-data-dir.js';
import { createLogger } from '../logger.js';
import { createDatabase } from './create-database.js';
import { migrateToLatest } from './migrate.js';
import { openPostgres } from './open-postgres.js';

const config = loadConfig();
const log = createLogger(config.logLevel);
// Embedded Postgres: this process runs it, so it must own the DATA_DIR (refused beside a live
// server). Should it fail, the owner file it leaves names a dead process: the next claim replaces it.
const claim = config.postgres.kind === 'embedded' ? await claimDataDir(config.dataDir, log) : null;
const postgres = await openPostgres(config, log);
const db = createDatabase({ connectionString: postgres.connectionString });
try {
  const { results } = await migrateToLatest(db);
  for (const result of results ?? []) log.info({ migration: result.migrationName, status: result.status }, 'migration');
  if (!results?.length) log.info('schema already up to date');
} finally {
  await db.destroy();
  await postgres.release();
  await claim?.release();
}
