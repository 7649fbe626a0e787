import type { ThreadId } from '../ids/id-types.js';

/**
 * The key of every per-user, per-thread registry entry (subscriptions, rate limits). Computed
 * here and only here, from the execution context, at registration and at cleanup alike: the
 * old system derived it twice, differently, and leaked.
 */
export function isolationKey(ctx: { userId: string }, threadId: ThreadId): string {
  return `${ctx.userId}:${threadId}`;
}
