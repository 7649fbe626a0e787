import { ReplyError } from 'ioredis';

/**
 * Redis answers with these while it cannot serve for now (loading, a busy script, out of memory, a
 * replica, a failing disk, a cluster in motion, credentials or ACLs being fixed): asking again later
 * may succeed, whatever was asked.
 */
const PASSING_REFUSALS = ['LOADING', 'BUSY', 'OOM', 'READONLY', 'MASTERDOWN', 'NOREPLICAS', 'MISCONF', 'TRYAGAIN', 'CLUSTERDOWN', 'NOAUTH', 'WRONGPASS', 'NOPERM'];

/**
 * Whether Redis refused this request for good: an error reply that is not one of the passing
 * states above (a script error, a key of the wrong type). Asked again, it answers the same, so
 * the request must be set aside rather than retried. A lost connection or a timeout is not a
 * refusal: nothing was answered.
 */
export function isLastingRedisRefusal(error: unknown): boolean {
  if (!(error instanceof ReplyError)) return false;
  const { message } = error as Error;
  // A plain ERR too, when it speaks of the server's state rather than of the request.
  if (message.startsWith('ERR max number of clients reached')) return false;
  return !PASSING_REFUSALS.includes(message.split(' ', 1)[0] ?? '');
}
