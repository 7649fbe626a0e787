import type { ChainableCommander } from 'ioredis';

/**
 * Runs a MULTI … EXEC and throws the first command's error. ioredis resolves EXEC with each
 * command's error in its reply instead of rejecting, so an unchecked transaction can fail
 * half-way without anyone noticing.
 */
export async function execAtomically(transaction: ChainableCommander): Promise<unknown[]> {
  const replies = await transaction.exec();
  if (!replies) throw new Error('Redis transaction aborted');
  const failure = replies.find(([error]) => error);
  if (failure) throw failure[0];
  return replies.map(([, reply]) => reply);
}
