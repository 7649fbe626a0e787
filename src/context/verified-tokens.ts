/**
 * Tokens verified recently under one set of keys, by their full text: a client sends the same token
 * with every request, and a repeat then skips the HMAC (an async WebCrypto job). Bounded in size
 * and in time: an entry is forgotten at the token's `exp` or `maxAgeMs` after it was verified,
 * whichever comes first, so a token far from expiry is still verified again now and then, and
 * nothing stays in memory for long once its client has gone.
 */
export interface VerifiedTokensOptions {
  /** Entries kept at most; the oldest is dropped first. */
  maxEntries: number;
  /** How long a verification is trusted, in milliseconds. */
  maxAgeMs: number;
}

interface Entry<T> {
  identity: T;
  verifiedAtMs: number;
  forgetAtMs: number;
}

export class VerifiedTokens<T> {
  // Insertion order is verification order: the first entry is always the oldest.
  readonly #entries = new Map<string, Entry<T>>();

  constructor(private readonly options: VerifiedTokensOptions) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Who a token verified recently enough speaks for, or undefined. */
  find(token: string, nowMs: number): T | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    if (entry.forgetAtMs > nowMs) return entry.identity;
    this.#entries.delete(token);
    return undefined;
  }

  remember(token: string, identity: T, expiresAtMs: number, nowMs: number): void {
    this.#forgetOlderThan(nowMs - this.options.maxAgeMs);
    this.#entries.delete(token);
    if (this.#entries.size >= this.options.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(token, { identity, verifiedAtMs: nowMs, forgetAtMs: Math.min(expiresAtMs, nowMs + this.options.maxAgeMs) });
  }

  /** Drops, from the front, every entry verified at or before `cutoffMs`: those are past their age already. */
  #forgetOlderThan(cutoffMs: number): void {
    for (const [token, entry] of this.#entries) {
      if (entry.verifiedAtMs > cutoffMs) return;
      this.#entries.delete(token);
    }
  }
}
