import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import type { Database } from './database.js';

// Postgres `bigint` (count(*), sums) arrives as a string by default; our counts fit in a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export interface DatabaseOptions {
  connectionString: string;
  /** Pool size. Default 10. */
  poolSize?: number;
  /** Called for every executed statement; tests count statements with it. */
  onQuery?: (event: LogEvent) => void;
}

/** Each database's pool and the connections checked out of it, for `cancelRunningStatements`. */
const pools = new WeakMap<Kysely<Database>, { connectionString: string; checkedOut: Set<pg.PoolClient> }>();

export function createDatabase(options: DatabaseOptions): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    // A dead server must fail a request, not hang it.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // A client whose server went away (Postgres crashed or restarted) emits 'error': through the
  // pool while idle, on itself while checked out. Unlistened, either would kill the process; the
  // query in flight fails on its own, and the pool drops the client and connects afresh.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const checkedOut = new Set<pg.PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_error, client) => checkedOut.delete(client));
  pool.on('remove', (client) => checkedOut.delete(client as pg.PoolClient));
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    ...(options.onQuery ? { log: options.onQuery } : {}),
  });
  pools.set(db, { connectionString: options.connectionString, checkedOut });
  return db;
}

/**
 * Asks Postgres to cancel whatever statement runs on a connection checked out of this
 * database's pool, and answers how many connections that was. For shutdown after its deadline:
 * `destroy()` waits for every checked-out connection, and a request cut off while its statement
 * waits (on a lock, say) would otherwise hold it, and the shutdown, indefinitely. The cancelled
 * statement fails, its transaction rolls back, and the connection goes back to the pool.
 */
export async function cancelRunningStatements(db: Kysely<Database>): Promise<number> {
  const tracked = pools.get(db);
  const backends = [...(tracked?.checkedOut ?? [])].map((client) => (client as pg.PoolClient & { processID: number | null }).processID);
  const pids = backends.filter((pid): pid is number => typeof pid === 'number');
  if (!tracked || pids.length === 0) return 0;
  // Its own connection: the pool may have none left to lend.
  const client = new pg.Client({ connectionString: tracked.connectionString, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('/* shutdown.cancelRunningStatements */ select pg_cancel_backend(pid) from unnest($1::int[]) as pid', [pids]);
  } finally {
    await client.end();
  }
  return pids.length;
}
