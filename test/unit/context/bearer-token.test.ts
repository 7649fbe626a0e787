import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signUserToken, verifyBearerToken } from '../../../src/context/bearer-token.js';

const SECRET = 'unit-test-secret-that-is-long-enough-for-hs256';
const OTHER_SECRET = 'another-unit-test-secret-long-enough-for-hs256';

/** An HS256 token with the claims `claims` sets. */
function signed(secret: string, claims: (jwt: SignJWT) => SignJWT): Promise<string> {
  return claims(new SignJWT({}).setProtectedHeader({ alg: 'HS256' })).sign(new TextEncoder().encode(secret));
}

describe('verifyBearerToken', () => {
  it('returns the subject, and the same again when the token is seen a second time', async () => {
    const token = await signUserToken('alice', SECRET);
    expect(await verifyBearerToken(`Bearer ${token}`, SECRET)).toBe('alice');
    expect(await verifyBearerToken(`bearer  ${token}`, SECRET)).toBe('alice');
  });

  it('refuses under another secret a token it has already accepted under the first', async () => {
    const token = await signUserToken('bob', SECRET);
    expect(await verifyBearerToken(`Bearer ${token}`, SECRET)).toBe('bob');
    await expect(verifyBearerToken(`Bearer ${token}`, OTHER_SECRET)).rejects.toThrow('Invalid token');
  });

  it('refuses a remembered token once it has expired (clock injected)', async () => {
    const issuedAt = 1_800_000_000;
    const token = await signed(SECRET, (jwt) => jwt.setSubject('carol').setExpirationTime(issuedAt + 60));
    expect(await verifyBearerToken(`Bearer ${token}`, SECRET, () => issuedAt * 1000)).toBe('carol');
    expect(await verifyBearerToken(`Bearer ${token}`, SECRET, () => (issuedAt + 59) * 1000)).toBe('carol');
    await expect(verifyBearerToken(`Bearer ${token}`, SECRET, () => (issuedAt + 60) * 1000)).rejects.toThrow('Token expired');
  });

  it('refuses a token without exp, however valid its signature and subject', async () => {
    const token = await signed(SECRET, (jwt) => jwt.setSubject('erin').setIssuedAt());
    await expect(verifyBearerToken(`Bearer ${token}`, SECRET)).rejects.toThrow('Token has no expiry (exp)');
    // Not remembered either: it is refused again.
    await expect(verifyBearerToken(`Bearer ${token}`, SECRET)).rejects.toThrow('Token has no expiry (exp)');
  });

  it('honours nbf: refused before it, accepted from it on', async () => {
    const notBefore = 1_800_000_000;
    const token = await signed(SECRET, (jwt) => jwt.setSubject('frank').setNotBefore(notBefore).setExpirationTime(notBefore + 3600));
    await expect(verifyBearerToken(`Bearer ${token}`, SECRET, () => (notBefore - 10) * 1000)).rejects.toThrow('Token not valid yet (nbf');
    expect(await verifyBearerToken(`Bearer ${token}`, SECRET, () => notBefore * 1000)).toBe('frank');
  });

  it('refuses a subject that is not storable text; "\\ufffd" stays its own user', async () => {
    for (const subject of ['\ud800', 'a\udc00b', 'nul\u0000']) {
      const token = await signed(SECRET, (jwt) => jwt.setSubject(subject).setExpirationTime('1h'));
      await expect(verifyBearerToken(`Bearer ${token}`, SECRET), JSON.stringify(subject)).rejects.toThrow('no usable subject');
    }
    const replacement = await signed(SECRET, (jwt) => jwt.setSubject('\ufffd').setExpirationTime('1h'));
    expect(await verifyBearerToken(`Bearer ${replacement}`, SECRET)).toBe('\ufffd');
  });

  it('refuses a token whose signature was altered, however often the genuine one was seen', async () => {
    const token = await signUserToken('dave', SECRET);
    await verifyBearerToken(`Bearer ${token}`, SECRET);
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(verifyBearerToken(`Bearer ${forged}`, SECRET)).rejects.toThrow('Invalid token');
  });

  it('names what is wrong with a missing or malformed header', async () => {
    await expect(verifyBearerToken(undefined, SECRET)).rejects.toThrow('Missing Authorization header');
    await expect(verifyBearerToken('Basic abc', SECRET)).rejects.toThrow('Malformed Authorization header');
  });
});
