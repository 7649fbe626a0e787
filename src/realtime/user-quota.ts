/**
 * How many of something (sockets, subscriptions) each user holds in this instance, against a
 * per-user limit. Users with nothing held are forgotten, so the map cannot grow without bound.
 */
export function createUserQuota(limit: number) {
  const held = new Map<string, number>();
  return {
    limit,
    /** Takes one unit for the user; false when the user already holds `limit`. */
    tryAcquire(userId: string): boolean {
      const count = held.get(userId) ?? 0;
      if (count >= limit) return false;
      held.set(userId, count + 1);
      return true;
    },
    release(userId: string): void {
      const count = (held.get(userId) ?? 0) - 1;
      if (count > 0) held.set(userId, count);
      else held.delete(userId);
    },
    /** Users holding at least one unit. */
    get users(): number {
      return held.size;
    },
  };
}

export type UserQuota = ReturnType<typeof createUserQuota>;
