import { execFile } from 'node:child_process';
import { chown, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { PrivatePostgres } from '../../test/support/private-services.js';
import { freePort } from '../../test/support/free-port.js';

const run = promisify(execFile);

/** Where Debian's postgresql-15 package puts its server binaries. */
export const DEBIAN_POSTGRES_15 = '/usr/lib/postgresql/15/bin';

/**
 * A Postgres server as a deployment runs one: the distribution's binaries (not the embedded
 * package), its own cluster under `directory`, loopback only, every setting at its default. As
 * root it runs as the `postgres` system user, because the postmaster refuses to run as root.
 * Same shape as the integration tests' private Postgres, so the soak crashes it the same way.
 */
export async function startPostgresServer(binDir: string, directory: string): Promise<PrivatePostgres & { version: string }> {
  // The cluster's owner must be able to write its data directory and its log: both live in a directory of its own.
  const home = path.join(directory, 'postgres');
  const dataDir = path.join(home, 'data');
  const port = await freePort();
  const asOwner = await ownerRunner(binDir, home);
  await asOwner('initdb', ['-D', dataDir, '-U', 'postgres', '--auth', 'trust', '-E', 'UTF8']);
  const start = async () => {
    // The socket directory is the data directory: Debian's /var/run/postgresql may not exist here.
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dataDir}`;
    await asOwner('pg_ctl', ['start', '-w', '-t', '60', '-D', dataDir, '-l', path.join(home, 'server.log'), '-o', options]);
  };
  await start();
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await query(admin, 'create database threadline');
  const version = String((await query(admin, 'show server_version'))[0]?.server_version);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/threadline`,
    version,
    crash: async () => void (await asOwner('pg_ctl', ['stop', '-w', '-D', dataDir, '-m', 'immediate'])),
    start,
    dispose: async () => void (await asOwner('pg_ctl', ['stop', '-w', '-D', dataDir, '-m', 'fast']).catch(() => undefined)),
  };
}

/** Runs a binary of `binDir` as the cluster's owner: this user, or `postgres` when this is root. */
async function ownerRunner(binDir: string, home: string) {
  const root = process.getuid?.() === 0;
  await mkdir(home, { recursive: true, mode: 0o700 });
  if (root) {
    const { uid, gid } = await postgresUser();
    await chown(home, uid, gid);
  }
  return (binary: string, args: string[]) => {
    const file = path.join(binDir, binary);
    return root ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args);
  };
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['postgres']).catch(() => {
    throw new Error(`As root the soak runs Postgres as the 'postgres' user, and ${os.hostname()} has none (apt-get install postgresql-15 creates it)`);
  });
  const uid = Number(/uid=(\d+)/.exec(stdout)?.[1]);
  const gid = Number(/gid=(\d+)/.exec(stdout)?.[1]);
  return { uid, gid };
}

async function query(url: string, text: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}
