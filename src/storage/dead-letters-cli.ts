// Lists, replays or discards dead letters: `npm run dead-letters -- list|replay [id…]|discard id…`.
// Talks to the configured Redis (REDIS_URL, or the embedded one of a running `npm start`).
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { discardDeadLetters, listDeadLetters, replayDeadLetters, type DeadLetter } from './dead-letters.js';
import { createRedisClient } from './redis-client.js';

const USAGE = `usage: npm run dead-letters -- <command>
  list                 every dead letter, oldest first, one JSON object per line
  replay [id …]        queue them on the persistence stream again (all when no id is given)
  discard id …         delete them for good`;

const [command, ...ids] = process.argv.slice(2);
const config = loadConfig();
const log = createLogger(config.logLevel);
if (config.redis.kind === 'disabled') {
  console.error('Redis is disabled (DISABLE_REDIS=true): there is no dead-letter stream');
  process.exit(2);
}
const url = config.redis.kind === 'external' ? config.redis.url : `redis://127.0.0.1:${config.redis.port}`;
const redis = createRedisClient(url, { name: 'threadline-dead-letters', log, commandTimeoutMs: 30_000 });

try {
  await redis.connect();
  process.exitCode = await run(command, ids);
} catch (error) {
  console.error(`dead-letters: ${error instanceof Error ? error.message : String(error)} (is Redis at ${url} running?)`);
  process.exitCode = 1;
} finally {
  redis.disconnect();
}

async function run(name: string | undefined, chosen: string[]): Promise<number> {
  switch (name) {
    case 'list':
      for (const letter of await listDeadLetters(redis, Number.MAX_SAFE_INTEGER)) console.log(JSON.stringify(summary(letter)));
      return 0;
    case 'replay': {
      const replayed = await replayDeadLetters(redis, chosen);
      console.log(`replayed ${replayed.length} dead letter(s); a consumer group that refuses one again dead-letters it again`);
      return 0;
    }
    case 'discard':
      if (chosen.length === 0) return usage();
      console.log(`discarded ${await discardDeadLetters(redis, chosen)} dead letter(s)`);
      return 0;
    default:
      return usage();
  }
}

function summary(letter: DeadLetter) {
  const { fields: _fields, ...rest } = letter;
  return rest;
}

function usage(): number {
  console.error(USAGE);
  return 2;
}
