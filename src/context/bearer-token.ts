import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { UnauthenticatedError } from '../errors/domain-errors.js';

const ALGORITHM = 'HS256';

/**
 * Tokens verified recently, per secret, by their full text: a client sends the same token with
 * every request, and a repeat then skips the HMAC (an async WebCrypto job). Oldest dropped first.
 */
const MAX_REMEMBERED_TOKENS = 10_000;
const verifiedTokens = new Map<string, Map<string, { userId: string; expiresAtMs: number }>>();

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
 */
export async function verifyBearerToken(authorization: string | null | undefined, secret: string): Promise<string> {
  if (!authorization) throw new UnauthenticatedError('Missing Authorization header: send "Authorization: Bearer <token>"');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw new UnauthenticatedError('Malformed Authorization header: expected "Bearer <token>"');
  const token = match[1] as string;
  // Per secret: a token verified under one secret proves nothing under another.
  let verified = verifiedTokens.get(secret);
  if (!verified) verifiedTokens.set(secret, (verified = new Map()));
  const remembered = verified.get(token);
  if (remembered && remembered.expiresAtMs > Date.now()) return remembered.userId;
  try {
    const { payload } = await jwtVerify(token, await keyOf(secret), { algorithms: [ALGORITHM] });
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 200) {
      throw new UnauthenticatedError('Token has no usable subject (sub)');
    }
    remember(verified, token, payload.sub, payload.exp);
    return payload.sub;
  } catch (error) {
    if (error instanceof UnauthenticatedError) throw error;
    const reason = error instanceof joseErrors.JWTExpired ? 'Token expired' : 'Invalid token';
    throw new UnauthenticatedError(reason);
  }
}

function remember(verified: Map<string, { userId: string; expiresAtMs: number }>, token: string, userId: string, expiresAtSec: number | undefined): void {
  if (verified.size >= MAX_REMEMBERED_TOKENS) verified.delete(verified.keys().next().value as string);
  verified.set(token, { userId, expiresAtMs: expiresAtSec === undefined ? Number.POSITIVE_INFINITY : expiresAtSec * 1000 });
}
