import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Config } from '../config.js';
import type { TokenKeys } from './bearer-token.js';
import { resolveJwtSecret } from './jwt-secret.js';

/**
 * The keys tokens are verified with, once at startup. A production server with a JWKS and no
 * JWT_SECRET accepts only the identity provider's tokens; otherwise HS256 tokens signed with
 * the secret (generated under DATA_DIR in development) are accepted too.
 */
export async function resolveTokenKeys(config: Config): Promise<TokenKeys> {
  const { jwks, jwtSecret, issuer, audience } = config.auth;
  const secret = jwtSecret !== undefined || config.env !== 'production' ? await resolveJwtSecret(config) : null;
  return { secret, jwks: jwks && (await jwksOf(jwks)), issuer, audience };
}

async function jwksOf(source: NonNullable<Config['auth']['jwks']>): Promise<JWTVerifyGetKey> {
  // jose fetches a remote set on first use, caches it, and fetches again for an unknown `kid`
  // (at most every 30 s), so keys rotated at the provider are picked up without a restart.
  if (source.kind === 'url') return createRemoteJWKSet(new URL(source.url));
  const text = await readFile(source.path, 'utf8');
  let set: JSONWebKeySet;
  try {
    set = JSON.parse(text) as JSONWebKeySet;
  } catch (error) {
    throw new Error(`JWT_JWKS_FILE ${source.path} is not JSON: ${(error as Error).message}`);
  }
  return createLocalJWKSet(set);
}
