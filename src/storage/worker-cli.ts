// The persister as a process of its own: `npm run worker`. Set RUN_WORKERS_IN_PROCESS=false on
// the servers when running workers this way; any number of workers share the consumer group.
import os from 'node:os';
import { loadConfig } from '../config.js';
import { claimDataDir } from '../data-dir/claim-data-dir.js';
import { createDatabase } from '../db/create-database.js';
import { openPostgres } from '../db/open-postgres.js';
import { createLogger } from '../logger.js';
import { createPersister, persisterSettings } from './persister.js';
import { createRedisClient } from './redis-client.js';
import { startStreamTrimming } from './stream-trim.js';

const config = loadConfig();
const log = createLogger(config.logLevel).child({ process: 'worker' });
if (config.redis.kind !== 'external') {
  log.fatal('npm run worker needs REDIS_URL: a worker must read the same stream as the servers');
  process.exit(2);
}
// Embedded Postgres: this worker runs it, so it must own the DATA_DIR (refused beside a live server).
const claim = config.postgres.kind === 'embedded' ? await claimDataDir(config.dataDir, log) : null;
const postgres = await openPostgres(config, log);
const db = createDatabase({ connectionString: postgres.connectionString, poolSize: 4 });
const redis = createRedisClient(config.redis.url, { name: 'threadline-worker', log, commandTimeoutMs: config.workers.blockMs + 5_000 });
await redis.connect().catch((error) => log.warn({ err: error }, 'Redis not reachable yet; will keep trying'));
const persister = createPersister({
  redis,
  db,
  log,
  // A name given on the command line lets a restarted worker take back its own pending entries at once.
  consumer: process.argv[2] ?? `${os.hostname()}-worker-${process.pid}`,
  ...persisterSettings(config.workers),
});
persister.start();
const trimming = startStreamTrimming(redis, log);
log.info('persister worker started');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    log.info({ signal }, 'worker stopping');
    trimming.stop();
    await persister.stop();
    redis.disconnect();
    await db.destroy();
    await postgres.release();
    await claim?.release();
    process.exit(0);
  });
}
