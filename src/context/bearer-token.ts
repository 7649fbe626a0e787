import { SignJWT, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { isStorableText } from '../domain/storable-text.js';
import { UnauthenticatedError } from '../errors/domain-errors.js';
import { VerifiedTokens } from './verified-tokens.js';

const ALGORITHM = 'HS256';

// Per secret: a token verified under one secret proves nothing under another.
const verifiedTokens = new Map<string, VerifiedTokens>();
const VERIFIED_TOKENS = { maxEntries: 10_000, maxAgeMs: 5 * 60_000 } as const;

function verifiedUnder(secret: string): VerifiedTokens {
  let verified = verifiedTokens.get(secret);
  if (!verified) verifiedTokens.set(secret, (verified = new VerifiedTokens(VERIFIED_TOKENS)));
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

/** Issues an HS256 token whose `sub` is the user ID. Default lifetime 30 days. */
export async function signUserToken(userId: string, secret: string, expiresIn: string = '30d'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: ALGORITHM })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(await keyOf(secret));
}

/**
 * Reads `Bearer <jwt>` and returns the user ID, or throws UnauthenticatedError saying why.
 * Only HS256 is accepted, so a token cannot pick a weaker algorithm (or `none`) for itself.
 * A token must expire (`exp`): one without would be a credential valid forever. `nbf` is
 * honoured. The subject must be storable text (domain/storable-text.ts): a lone surrogate would
 * be stored as U+FFFD, and "\ud800" and "\ufffd" would be the same user.
 * `now` (default `Date.now`) is the clock, injectable in tests.
 */
export async function verifyBearerToken(authorization: string | null | undefined, secret: string, now: () => number = Date.now): Promise<string> {
  if (!authorization) throw new UnauthenticatedError('Missing Authorization header: send "Authorization: Bearer <token>"');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw new UnauthenticatedError('Malformed Authorization header: expected "Bearer <token>"');
  const token = match[1] as string;
  const verified = verifiedUnder(secret);
  const nowMs = now();
  const remembered = verified.find(token, nowMs);
  if (remembered !== undefined) return remembered;
  const { sub, exp } = await verifiedClaims(token, secret, nowMs);
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200 || !isStorableText(sub)) {
    throw new UnauthenticatedError('Token has no usable subject (sub): 1 to 200 characters of well-formed text without NUL');
  }
  verified.remember(token, sub, (exp as number) * 1000, nowMs);
  return sub;
}

/** The verified payload, or UnauthenticatedError naming the claim that failed. */
async function verifiedClaims(token: string, secret: string, nowMs: number): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, await keyOf(secret), { algorithms: [ALGORITHM], requiredClaims: ['exp'], currentDate: new Date(nowMs) });
    return payload;
  } catch (error) {
    throw new UnauthenticatedError(reasonOf(error));
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'Token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'exp') return 'Token has no expiry (exp): sign it with one';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') return 'Token not valid yet (nbf is in the future)';
  return 'Invalid token';
}
