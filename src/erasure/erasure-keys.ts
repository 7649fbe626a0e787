import { createHash } from 'node:crypto';

/**
 * What the erasure log keeps instead of an ID: its SHA-1, in hex. Enough to answer "was this
 * thread erased, and is it done?" for someone who knows the ID, without the log holding it.
 * SHA-1 because Redis scripts compute the same digest (`redis.sha1hex`): the Redis tombstone set
 * and the Postgres log share one key. Not a secret: IDs are unguessable, the key only hides them.
 */
export function erasureKeyOf(id: string): string {
  return createHash('sha1').update(id, 'utf8').digest('hex');
}
