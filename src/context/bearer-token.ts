import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { UnauthenticatedError } from '../errors/domain-errors.js';

const ALGORITHM = 'HS256';

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/** Issues an HS256 token whose `sub` is the user ID. Default lifetime 30 days. */
export async function signUserToken(userId: string, secret: string, expiresIn: string = '30d'): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: ALGORITHM })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(keyOf(secret));
}

/**
 * Reads `Bearer <jwt>` and returns the user ID, or throws UnauthenticatedError saying why.
 * Only HS256 is accepted, so a token cannot pick a weaker algorithm (or `none`) for itself.
 */
export async function verifyBearerToken(authorization: string | null | undefined, secret: string): Promise<string> {
  if (!authorization) throw new UnauthenticatedError('Missing Authorization header: send "Authorization: Bearer <token>"');
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw new UnauthenticatedError('Malformed Authorization header: expected "Bearer <token>"');
  try {
    const { payload } = await jwtVerify(match[1] as string, keyOf(secret), { algorithms: [ALGORITHM] });
    if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 200) {
      throw new UnauthenticatedError('Token has no usable subject (sub)');
    }
    return payload.sub;
  } catch (error) {
    if (error instanceof UnauthenticatedError) throw error;
    const reason = error instanceof joseErrors.JWTExpired ? 'Token expired' : 'Invalid token';
    throw new UnauthenticatedError(reason);
  }
}
