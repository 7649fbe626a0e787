import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signUserToken, verifyBearerToken, type TokenKeys } from '../../../src/context/bearer-token.js';

const SECRET = 'unit-test-secret-that-is-long-enough-for-hs256';
const OTHER_SECRET = 'another-unit-test-secret-long-enough-for-hs256';
const KEYS = { secret: SECRET, jwks: null };
const OTHER_KEYS = { secret: OTHER_SECRET, jwks: null };

/** The user a header verifies as, under `keys`. */
async function userOf(authorization: string | undefined, keys: TokenKeys, now?: () => number): Promise<string> {
  return (await verifyBearerToken(authorization, keys, now)).userId;
}

/** An HS256 token with the claims `claims` sets. */
function signed(secret: string, claims: (jwt: SignJWT) => SignJWT): Promise<string> {
  return claims(new SignJWT({}).setProtectedHeader({ alg: 'HS256' })).sign(new TextEncoder().encode(secret));
}

describe('verifyBearerToken', () => {
  it('returns the subject, and the same again when the token is seen a second time', async () => {
    const token = await signUserToken('alice', SECRET);
    expect(await userOf(`Bearer ${token}`, KEYS)).toBe('alice');
    expect(await userOf(`bearer  ${token}`, KEYS)).toBe('alice');
  });

  it('refuses under another secret a token it has already accepted under the first', async () => {
    const token = await signUserToken('bob', SECRET);
    expect(await userOf(`Bearer ${token}`, KEYS)).toBe('bob');
    await expect(userOf(`Bearer ${token}`, OTHER_KEYS)).rejects.toThrow('Invalid token');
  });

  it('refuses a remembered token once it has expired (clock injected)', async () => {
    const issuedAt = 1_800_000_000;
    const token = await signed(SECRET, (jwt) => jwt.setSubject('carol').setExpirationTime(issuedAt + 60));
    expect(await userOf(`Bearer ${token}`, KEYS, () => issuedAt * 1000)).toBe('carol');
    expect(await userOf(`Bearer ${token}`, KEYS, () => (issuedAt + 59) * 1000)).toBe('carol');
    await expect(userOf(`Bearer ${token}`, KEYS, () => (issuedAt + 60) * 1000)).rejects.toThrow('Token expired');
  });

  it('refuses a token without exp, however valid its signature and subject', async () => {
    const token = await signed(SECRET, (jwt) => jwt.setSubject('erin').setIssuedAt());
    await expect(userOf(`Bearer ${token}`, KEYS)).rejects.toThrow('Token has no expiry (exp)');
    // Not remembered either: it is refused again.
    await expect(userOf(`Bearer ${token}`, KEYS)).rejects.toThrow('Token has no expiry (exp)');
  });

  it('honours nbf: refused before it, accepted from it on', async () => {
    const notBefore = 1_800_000_000;
    const token = await signed(SECRET, (jwt) => jwt.setSubject('frank').setNotBefore(notBefore).setExpirationTime(notBefore + 3600));
    await expect(userOf(`Bearer ${token}`, KEYS, () => (notBefore - 10) * 1000)).rejects.toThrow('Token not valid yet (nbf');
    expect(await userOf(`Bearer ${token}`, KEYS, () => notBefore * 1000)).toBe('frank');
  });

  it('refuses a subject that is not storable text; "\\ufffd" stays its own user', async () => {
    for (const subject of ['\ud800', 'a\udc00b', 'nul\u0000']) {
      const token = await signed(SECRET, (jwt) => jwt.setSubject(subject).setExpirationTime('1h'));
      await expect(userOf(`Bearer ${token}`, KEYS), JSON.stringify(subject)).rejects.toThrow('no usable subject');
    }
    const replacement = await signed(SECRET, (jwt) => jwt.setSubject('\ufffd').setExpirationTime('1h'));
    expect(await userOf(`Bearer ${replacement}`, KEYS)).toBe('\ufffd');
  });

  it('refuses a token whose signature was altered, however often the genuine one was seen', async () => {
    const token = await signUserToken('dave', SECRET);
    await userOf(`Bearer ${token}`, KEYS);
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(userOf(`Bearer ${forged}`, KEYS)).rejects.toThrow('Invalid token');
  });

  it('reads the actor of a delegated token (RFC 8693 act.sub); a plain token has none', async () => {
    expect(await verifyBearerToken(`Bearer ${await signUserToken('erin', SECRET, '1h', 'agent-worker-7')}`, KEYS)).toEqual({ userId: 'erin', actor: 'agent-worker-7' });
    expect(await verifyBearerToken(`Bearer ${await signUserToken('erin', SECRET)}`, KEYS)).toEqual({ userId: 'erin', actor: null });
    // A chain of delegation: the current actor is the outermost act.sub.
    const chain = { sub: 'agent-worker-8', act: { sub: 'orchestrator' } };
    const nested = await new SignJWT({ act: chain }).setProtectedHeader({ alg: 'HS256' }).setSubject('erin').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
    expect((await verifyBearerToken(`Bearer ${nested}`, KEYS)).actor).toBe('agent-worker-8');
    for (const act of [{ sub: '' }, { sub: 'x'.repeat(201) }, { sub: 'a\ud800' }, 'agent', null, ['agent']]) {
      const token = await new SignJWT({ act }).setProtectedHeader({ alg: 'HS256' }).setSubject('erin').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
      await expect(verifyBearerToken(`Bearer ${token}`, KEYS), JSON.stringify(act)).rejects.toThrow('act claim must name its actor');
    }
  });

  it('names what is wrong with a missing or malformed header', async () => {
    await expect(userOf(undefined, KEYS)).rejects.toThrow('Missing Authorization header');
    await expect(userOf('Basic abc', KEYS)).rejects.toThrow('Malformed Authorization header');
  });
});
