// Prints a Bearer token for a user: `npm run token -- <userId>`.
import { loadConfig } from '../config.js';
import { resolveJwtSecret } from './jwt-secret.js';
import { signUserToken } from './bearer-token.js';

const userId = process.argv[2];
if (!userId) {
  console.error('usage: npm run token -- <userId>');
  process.exit(2);
}
const secret = await resolveJwtSecret(loadConfig());
console.log(await signUserToken(userId, secret));
