/**
 * Postgres failures that say "the database is unavailable", not "this data is wrong": worth
 * retrying forever, never a reason to dead-letter an entry.
 */
const TRANSIENT_SQLSTATE_CLASSES = ['08', '53', '57'];
const TRANSIENT_SQLSTATES = ['40001', '40P01'];
const TRANSIENT_NODE_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'];

export function isTransientPostgresError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string') {
    if (TRANSIENT_NODE_CODES.includes(code) || TRANSIENT_SQLSTATES.includes(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATE_CLASSES.includes(code.slice(0, 2));
  }
  const message = String((error as { message?: unknown })?.message ?? error);
  return /Connection terminated|timeout exceeded when trying to connect|Connection refused|connect ECONNREFUSED|the database system is (starting up|shutting down)/i.test(message);
}

/** The unique constraint a Postgres error violated, if that is what it is. */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  return code === '23505' ? constraint : undefined;
}

/** A row refers to one that is gone: for the persister, a message whose thread was deleted meanwhile. */
export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown })?.code === '23503';
}

/**
 * A write referred to a thread deleted since it was read (deleteThread committed in between): for
 * the client that is the thread being gone, not a server failure.
 */
export function referencesDeletedThread(error: unknown): boolean {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  return code === '23503' && typeof constraint === 'string' && /thread_id_fkey$/.test(constraint);
}
