import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { createArchiver } from '../archive/archiver.js';
import type { OpenArchive } from '../archive/open-archive.js';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { createPersister, persisterSettings } from '../storage/persister.js';
import { startStreamTrimming } from '../storage/stream-trim.js';
import { createSharedStreamDecoding, type StreamDecoding } from '../storage/shared-stream-decoding.js';
import { GROUP_OF, type StreamWorker } from './worker-placement.js';

export interface StreamWorkerResources {
  config: Config;
  log: Logger;
  /** Where the persister writes; required when it runs. */
  db?: Kysely<Database>;
  /** Where the archiver writes; required when it runs. It starts once the archive's tables exist. */
  archive?: OpenArchive;
  /** This process's consumer name in each group: unique per process; reused after a restart, it takes back its own pending entries. */
  consumer: string;
  /** A new Redis connection (each consumer's blocking reads hold one); the caller closes them all. */
  connectRedis(name: string, commandTimeoutMs: number): Promise<Redis>;
}

export interface RunningStreamWorkers {
  /** Lets each consumer finish the batch in hand, then stops reading and trimming. */
  stop(): Promise<void>;
}

interface Consumer {
  start(): void;
  stop(): Promise<void>;
}

/**
 * Starts the given stream consumers, the same way in a server (in-process workers) and in
 * `npm run worker`: one connection each, settings from the config, and stream trimming in every
 * process that consumes (trimming is idempotent: it only removes what every group acknowledged).
 */
export async function startStreamWorkers(workers: readonly StreamWorker[], resources: StreamWorkerResources): Promise<RunningStreamWorkers> {
  if (workers.length === 0) return { stop: async () => {} };
  const { config, log } = resources;
  let stopping = false;
  const consumers: Consumer[] = [];
  // Every group reads every entry: the consumers of one process decode each entry once between them.
  const decode = createSharedStreamDecoding(workers.length);
  for (const worker of workers) {
    const redis = await resources.connectRedis(`threadline-${worker}`, config.workers.blockMs + 5_000);
    const consumer = worker === 'persister' ? persisterOf(redis, resources, decode) : archiverOf(redis, resources, decode);
    consumers.push(consumer);
    const start = () => {
      if (stopping) return;
      consumer.start();
      log.info({ worker, group: GROUP_OF[worker], consumer: resources.consumer }, 'consuming the stream');
    };
    // The archiver must not insert before the archive's migrations; ClickHouse may be down until later.
    if (worker === 'archiver') void required(resources.archive, 'archive').ready.then(start, () => {});
    else start();
  }
  const trimming = startStreamTrimming(await resources.connectRedis('threadline-stream-trim', 5_000), log);
  return {
    async stop() {
      stopping = true;
      trimming.stop();
      await Promise.all(consumers.map((consumer) => consumer.stop()));
    },
  };
}

function persisterOf(redis: Redis, resources: StreamWorkerResources, decode: StreamDecoding): Consumer {
  const { config, log, consumer } = resources;
  return createPersister({ redis, db: required(resources.db, 'db'), log, consumer, decode, ...persisterSettings(config.workers) });
}

function archiverOf(redis: Redis, resources: StreamWorkerResources, decode: StreamDecoding): Consumer {
  const { config, log, consumer } = resources;
  return createArchiver({ redis, archive: required(resources.archive, 'archive').client, config, log, consumer, decode });
}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`startStreamWorkers: the ${name} is required by a worker it was asked to run`);
  return value;
}
