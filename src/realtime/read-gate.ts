/**
 * Bounds how many subscription setups and catch-ups read storage at once. A storm of them
 * (thousands of clients resubscribing after a deploy, or every subscriber catching up after
 * Redis came back) would otherwise queue thousands of queries at the Postgres pool, where they
 * time out waiting for a connection and fail as INTERNAL; queued here, they only wait, and the
 * rest of the pool stays free for requests.
 */
export function createReadGate(width: number) {
  let active = 0;
  const waiting: Array<() => void> = [];

  return async function throughGate<T>(read: () => Promise<T>): Promise<T> {
    // A finishing read hands its place straight to the next waiter, so `active` never overshoots.
    if (active < width) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await read();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}
