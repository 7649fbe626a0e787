import { loadConfig } from './config.js';
import { buildApp } from './server/build-app.js';
import { createLogger } from './logger.js';

const config = loadConfig();
const log = createLogger(config.logLevel);
const app = buildApp(config, { log });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

await app.start().catch(async (error) => {
  log.fatal({ err: error }, `failed to start: ${error instanceof Error ? error.message : String(error)}`);
  // Stop whatever did start (an embedded Postgres or redis-server must not outlive us).
  await app.stop().catch(() => {});
  process.exit(1);
});
