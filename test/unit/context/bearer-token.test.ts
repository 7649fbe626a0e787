import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signUserToken, verifyBearerToken } from '../../../src/context/bearer-token.js';

const SECRET = 'unit-test-secret-that-is-long-enough-for-hs256';
const OTHER_SECRET = 'another-unit-test-secret-long-enough-for-hs256';

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

  it('refuses a remembered token once it has expired', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 1;
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('carol').setExpirationTime(expiresAt)
      .sign(new TextEncoder().encode(SECRET));
    expect(await verifyBearerToken(`Bearer ${token}`, SECRET)).toBe('carol');
    await new Promise((resolve) => setTimeout(resolve, expiresAt * 1000 - Date.now() + 50));
    await expect(verifyBearerToken(`Bearer ${token}`, SECRET)).rejects.toThrow('Token expired');
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
