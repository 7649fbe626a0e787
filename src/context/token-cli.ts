// Prints a Bearer token for a user: `npm run token -- <userId> [--actor <name>]`. With --actor
// the token is delegated (RFC 8693 `act`): that actor writes into the user's threads, and the
// messages and runs it writes say so.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { resolveJwtSecret } from './jwt-secret.js';
import { signUserToken } from './bearer-token.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { actor: { type: 'string' } } });
const [userId] = positionals;
if (!userId || positionals.length > 1) {
  console.error('usage: npm run token -- <userId> [--actor <name>]');
  process.exit(2);
}
const secret = await resolveJwtSecret(loadConfig());
console.log(await signUserToken(userId, secret, undefined, values.actor));
