import { SignJWT, decodeProtectedHeader, jwtVerify, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { isStorableText } from '../domain/storable-text.js';
import { UnauthenticatedError } from '../errors/domain-errors.js';
import { VerifiedTokens } from './verified-tokens.js';

const ALGORITHM = 'HS256';
/** Asymmetric algorithms a JWKS key may sign with; a key's own `alg` narrows it further. */
const JWKS_ALGORITHMS = ['RS256', 'ES256'];
/** Longest user or actor name, in characters. */
const MAX_NAME_LENGTH = 200;

/** What tokens are verified with: Threadline's own HS256 secret, an identity provider's JWKS, or both. */
export interface TokenKeys {
  /** HS256 secret; null when only JWKS-signed tokens are accepted. */
  readonly secret: string | null;
  /** RS256/ES256 public keys, found by the token's `kid`; null when none are configured. */
  readonly jwks: JWTVerifyGetKey | null;
  /** Required `iss` and `aud` of JWKS-signed tokens (those come from elsewhere; HS256 ones from here). */
  readonly issuer?: string;
  readonly audience?: string;
}

/**
 * Who a token speaks for. `actor` is who holds it on the user's behalf (RFC 8693's `act.sub`,
 * e.g. an agent worker), or null when it is the user's own; it widens nothing: the user's
 * threads are still the only ones it can touch.
 */
export interface TokenIdentity {
  userId: string;
  actor: string | null;
}

// Per set of keys: a token verified under one proves nothing under another.
const verifiedTokens = new WeakMap<TokenKeys, VerifiedTokens<TokenIdentity>>();
const VERIFIED_TOKENS = { maxEntries: 10_000, maxAgeMs: 5 * 60_000 } as const;

function verifiedUnder(keys: TokenKeys): VerifiedTokens<TokenIdentity> {
  let verified = verifiedTokens.get(keys);
  if (!verified) verifiedTokens.set(keys, (verified = new VerifiedTokens(VERIFIED_TOKENS)));
  return verified;
}

// jose imports a raw secret into a CryptoKey on every call; import each secret once instead.
const importedKeys = new Map<string, Promise<CryptoKey>>();
function keyOf(secret: string): Promise<CryptoKey> {
  let key = importedKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    importedKeys.set(secret, key);
  }
  return key;
}

/** Issues an HS256 token whose `sub` is the user ID, and `act.sub` the actor if one is named. Default lifetime 30 days. */
export async function signUserToken(userId: string, secret: string, expiresIn: string = '30d', actor?: string): Promise<string> {
  return new SignJWT(actor === undefined ? {} : { act: { sub: actor } })
    .setProtectedHeader({ alg: ALGORITHM })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(await keyOf(secret));
}

/**
 * Reads `Bearer <jwt>` and returns who it speaks for, or throws UnauthenticatedError saying why.
 * HS256 is verified with the secret, RS256/ES256 with the JWKS (and its issuer and audience);
 * nothing else is accepted, so a token cannot pick a weaker algorithm (or `none`) for itself,
 * nor an HMAC over a public key. A token must expire (`exp`): one without would be a credential
 * valid forever. `nbf` is honoured. The subject and actor must be storable text
 * (domain/storable-text.ts): a lone surrogate would be stored as U+FFFD, and "\ud800" and
 * "\ufffd" would be the same user. `now` (default `Date.now`) is the clock, injectable in tests.
 */
export async function verifyBearerToken(
  authorization: string | null | undefined,
  keys: TokenKeys,
  now: () => number = Date.now,
): Promise<TokenIdentity> {
  if (!authorization) throw new UnauthenticatedError('Missing Authorization header: send "Authorization: Bearer <token>"');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw new UnauthenticatedError('Malformed Authorization header: expected "Bearer <token>"');
  const token = match[1] as string;
  const verified = verifiedUnder(keys);
  const nowMs = now();
  const remembered = verified.find(token, nowMs);
  if (remembered !== undefined) return remembered;
  const { sub, exp, act } = await verifiedClaims(token, keys, nowMs);
  if (!isUsableName(sub)) {
    throw new UnauthenticatedError(`Token has no usable subject (sub): 1 to ${MAX_NAME_LENGTH} characters of well-formed text without NUL`);
  }
  const identity = { userId: sub, actor: actorOf(act) };
  verified.remember(token, identity, (exp as number) * 1000, nowMs);
  return identity;
}

function isUsableName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= MAX_NAME_LENGTH && isStorableText(name);
}

/** RFC 8693: `act.sub` is the party acting for the subject; a nested `act` (who delegated to it) is not recorded. */
function actorOf(act: unknown): string | null {
  if (act === undefined) return null;
  const sub = typeof act === 'object' && act !== null ? (act as { sub?: unknown }).sub : undefined;
  if (isUsableName(sub)) return sub;
  throw new UnauthenticatedError(`Token's act claim must name its actor: {"sub": "<actor>"}, 1 to ${MAX_NAME_LENGTH} characters of well-formed text`);
}

/** The verified payload, or UnauthenticatedError naming the claim that failed. */
async function verifiedClaims(token: string, keys: TokenKeys, nowMs: number): Promise<JWTPayload> {
  const common = { requiredClaims: ['exp'], currentDate: new Date(nowMs) };
  const alg = algorithmOf(token);
  try {
    if (alg === ALGORITHM && keys.secret !== null) {
      return (await jwtVerify(token, await keyOf(keys.secret), { ...common, algorithms: [ALGORITHM] })).payload;
    }
    if (alg !== undefined && JWKS_ALGORITHMS.includes(alg) && keys.jwks !== null) {
      const claims = { issuer: keys.issuer, audience: keys.audience };
      return (await jwtVerify(token, keys.jwks, { ...common, ...claims, algorithms: JWKS_ALGORITHMS })).payload;
    }
  } catch (error) {
    throw new UnauthenticatedError(reasonOf(error));
  }
  throw new UnauthenticatedError(alg === undefined ? 'Invalid token' : 'Invalid token: its algorithm is not accepted here');
}

/** The `alg` of the token's header; undefined when it has no readable header. */
function algorithmOf(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).alg;
  } catch {
    return undefined;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'Token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'exp') return 'Token has no expiry (exp): sign it with one';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') return 'Token not valid yet (nbf is in the future)';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'iss') return 'Token issuer (iss) is not the one configured';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud') return 'Token audience (aud) is not the one configured';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'Invalid token: no key of the JWKS matches it';
  // A remote JWKS that cannot be fetched fails with jose's timeout or fetch's own error (not a JOSEError).
  if (error instanceof joseErrors.JWKSTimeout || !(error instanceof joseErrors.JOSEError)) return 'Token keys (JWKS) could not be fetched; try again';
  return 'Invalid token';
}
