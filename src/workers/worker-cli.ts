// `npm run worker`: the stream's consumers (the persister into Postgres, the archiver into
// ClickHouse) as a process of their own, for servers started with RUN_WORKERS_IN_PROCESS=false.
// Any number of workers share each consumer group. See WORKER_USAGE for the flags.
import os from 'node:os';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startStreamWorkers } from './start-stream-workers.js';
import { parseWorkerArguments, WORKER_USAGE, WorkerArgumentError, type WorkerArguments } from './worker-arguments.js';
import { GROUP_OF, standaloneStreamWorkers, STREAM_WORKERS } from './worker-placement.js';
import { openWorkerResources } from './worker-resources.js';

const args = argumentsOrExit(process.argv.slice(2));
const config = loadConfig();
const log = createLogger(config.logLevel).child({ process: 'worker' });
if (config.redis.kind !== 'external') exit('npm run worker needs REDIS_URL: a worker must read the same stream as the servers');
const { run, leftToServer } = standaloneStreamWorkers(config, args.only);
const embeddedArchive = 'embedded chDB can be opened by one process only, so the server runs the archiver; set CLICKHOUSE_URL to run it in workers';
if (args.only && leftToServer.length > 0) exit(`--only ${leftToServer.join(',')}: ${embeddedArchive}`);
if (leftToServer.length > 0) log.info({ leftToServer }, `not running the archiver: ${embeddedArchive}`);
const elsewhere = STREAM_WORKERS.filter((worker) => !run.includes(worker) && !leftToServer.includes(worker));
// Not an error (another worker, or servers with in-process workers, may run them), but a worker
// cannot see the servers' settings, so this is where an operator hears of it.
if (elsewhere.length > 0) {
  log.warn({ notRunning: elsewhere }, 'not running these here: unless another worker or a server runs them, their group falls behind and the stream is not trimmed');
}

const consumer = args.consumer ?? `${os.hostname()}-worker-${process.pid}`;
const resources = await openWorkerResources(config, log, config.redis.url, run);
const workers = await startStreamWorkers(run, { config, log, consumer, ...resources });
log.info({ workers: run, groups: run.map((worker) => GROUP_OF[worker]), consumer }, 'worker started');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    log.info({ signal }, 'worker stopping');
    await workers.stop();
    await resources.close();
    process.exit(0);
  });
}

function argumentsOrExit(argv: string[]): WorkerArguments {
  try {
    const parsed = parseWorkerArguments(argv);
    if (parsed.help) {
      process.stdout.write(`${WORKER_USAGE}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    if (!(error instanceof WorkerArgumentError)) throw error;
    process.stderr.write(`${error.message}\n${WORKER_USAGE}\n`);
    process.exit(2);
  }
}

function exit(message: string): never {
  log.fatal(message);
  process.exit(2);
}
