import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres.js';
import { freePort } from '../support/free-port.js';

// What a second process (a worker next to `npm start`) meets when it opens the embedded Postgres
// that a running server already holds.

const log = pino({ level: 'silent' });

describe('embedded Postgres held by another process', () => {
  let directory: string | undefined;
  let first: RunningPostgres | undefined;
  afterAll(async () => {
    await first?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('refuses a second start on the same directory with what to do instead, and leaves the first running', async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'threadline-embedded-pg-'));
    // As root, Postgres runs as the `postgres` user, which must reach the cluster directory.
    await chmod(directory, 0o755);
    const options = { directory: path.join(directory, 'data'), port: await freePort(), log };
    first = await startEmbeddedPostgres(options);

    const second = startEmbeddedPostgres(options);
    await expect(second).rejects.toThrow(/did not start in .* another process may be using it\. To share one database, set DATABASE_URL \(the embedded one is postgres:\/\//);

    const client = new pg.Client({ connectionString: first.connectionString });
    await client.connect();
    try {
      expect((await client.query('select 1 as ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await client.end();
    }
  });
});
