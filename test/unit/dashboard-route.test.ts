import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUnder, handleDashboardRoute, type DashboardTargets } from '../../src/server/dashboard-route.js';

/** GET `rawPath` exactly as written (fetch would resolve the dot segments before sending). */
function get(port: number, rawPath: string, method = 'GET', body?: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: rawPath, method, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function serve(targets: DashboardTargets): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (!handleDashboardRoute(req, res, targets)) res.writeHead(418).end('not the dashboard');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('/dashboard static files', () => {
  let dir: string;
  let built: { server: Server; port: number };
  let production: { server: Server; port: number };
  beforeAll(async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'threadline-dashboard-route-'));
    dir = path.join(parent, 'dashboard');
    await mkdir(path.join(dir, 'assets'), { recursive: true });
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>dash</title>');
    await writeFile(path.join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'assets', 'index-abc.css'), 'body{}');
    // Beside the build, not in it: must never be served.
    await writeFile(path.join(parent, 'secret.txt'), 'secret');
    const log = pino({ level: 'silent' });
    built = await serve({ dir, log, signToken: async (user) => `token-for-${user}` });
    production = await serve({ dir: path.join(parent, 'not-built'), log, signToken: null });
  });
  afterAll(async () => {
    built.server.close();
    production.server.close();
    await rm(path.dirname(dir), { recursive: true, force: true });
  });

  it('serves the page and its assets with their content types', async () => {
    for (const page of ['/dashboard', '/dashboard/', '/dashboard/index.html']) {
      const response = await get(built.port, page);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['content-security-policy']).toContain("connect-src 'self'");
      expect(response.body).toContain('<title>dash</title>');
    }
    const script = await get(built.port, '/dashboard/assets/index-abc.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toContain('immutable');
    expect((await get(built.port, '/dashboard/assets/index-abc.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    expect((await get(built.port, '/dashboard/assets/missing.js')).status).toBe(404);
    expect((await get(built.port, '/dashboardx')).status).toBe(418);
  });

  it('serves nothing outside its directory', async () => {
    for (const attempt of ['/dashboard/../secret.txt', '/dashboard/%2e%2e/secret.txt', '/dashboard/assets/..%2f..%2fsecret.txt', '/dashboard/..%5csecret.txt', '/dashboard/assets%00.js', '/dashboard/%E0%A4%A']) {
      const response = await get(built.port, attempt);
      expect(response.status, attempt).toBe(404);
      expect(response.body).not.toContain('secret');
    }
    expect(fileUnder('/srv/dash', '../etc/passwd')).toBeNull();
    expect(fileUnder('/srv/dash', 'assets/./x.js')).toBeNull();
    expect(fileUnder('/srv/dash', 'assets/x.js')).toBe('/srv/dash/assets/x.js');
  });

  it('answers 503 saying to run npm run build while the page is not built', async () => {
    const response = await get(production.port, '/dashboard');
    expect(response.status).toBe(503);
    expect(response.body).toContain('npm run build');
  });

  it('mints development tokens for a user name, and none where signToken is null (production)', async () => {
    expect(JSON.parse((await get(built.port, '/dashboard/dev-token')).body)).toEqual({ mints: true });
    const minted = await get(built.port, '/dashboard/dev-token', 'POST', JSON.stringify({ user: 'alice' }));
    expect(JSON.parse(minted.body)).toEqual({ token: 'token-for-alice' });
    expect((await get(built.port, '/dashboard/dev-token', 'POST', JSON.stringify({ user: 'x"><script>' }))).status).toBe(400);
    expect((await get(production.port, '/dashboard/dev-token')).status).toBe(404);
    expect((await get(production.port, '/dashboard/dev-token', 'POST', JSON.stringify({ user: 'alice' }))).status).toBe(404);
  });
});
