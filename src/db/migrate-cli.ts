// Applies pending migrations: `npm run migrate` (uses DATABASE_URL, or the embedded Postgres).
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createDatabase } from './create-database.js';
import { migrateToLatest } from './migrate.js';
import { openPostgres } from './open-postgres.js';

const config = loadConfig();
const log = createLogger(config.logLevel);
const postgres = await openPostgres(config, log);
const db = createDatabase({ connectionString: postgres.connectionString });
try {
  const { results } = await migrateToLatest(db);
  for (const result of results ?? []) log.info({ migration: result.migrationName, status: result.status }, 'migration');
  if (!results?.length) log.info('schema already up to date');
} finally {
  await db.destroy();
  await postgres.release();
}
