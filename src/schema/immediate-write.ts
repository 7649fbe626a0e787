/**
 * Field extensions of a mutation whose write is acknowledged from Redis as it runs (the fast
 * path): it cannot be rolled back with the rest of its operation, so it must be the operation's
 * only field (server/immediate-writes-alone.ts refuses it otherwise, before anything runs).
 */
export const IMMEDIATE_WRITE = { immediateWrite: true } as const;

export function isImmediateWrite(extensions: Readonly<Record<string, unknown>> | null | undefined): boolean {
  return extensions?.immediateWrite === true;
}
