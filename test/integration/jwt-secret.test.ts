import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveJwtSecret } from '../../src/context/jwt-secret.js';
import { loadConfig } from '../../src/config.js';
import { testConfig } from '../support/test-app.js';

// README: "JWT_SECRET unset outside production: generated into DATA_DIR/jwt-secret", so tokens
// from `npm run token` survive restarts; in production it is required.
describe('the jwt-secret file', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** A development config with no JWT_SECRET, its data directory not created yet. */
  async function configIn() {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'threadline-jwt-'));
    dirs.push(dataDir);
    return { dataDir, config: loadConfig({ NODE_ENV: 'development', DATA_DIR: path.join(dataDir, 'nested') }) };
  }

  it('is created on first use (owner-only), then reused as is', async () => {
    const { config } = await configIn();
    const file = path.join(config.dataDir, 'jwt-secret');
    const first = await resolveJwtSecret(config);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect((await readFile(file, 'utf8')).trim()).toBe(first);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await resolveJwtSecret(config)).toBe(first);
  });

  it('an existing file wins over generating; a configured JWT_SECRET wins over the file', async () => {
    const { config } = await configIn();
    await resolveJwtSecret(config);
    await writeFile(path.join(config.dataDir, 'jwt-secret'), 'kept-from-an-earlier-start-0123456789\n');
    expect(await resolveJwtSecret(config)).toBe('kept-from-an-earlier-start-0123456789');
    const configured = testConfig({ DATA_DIR: config.dataDir });
    expect(await resolveJwtSecret(configured)).toBe(configured.auth.jwtSecret);
  });
});
