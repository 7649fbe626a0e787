import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { PLAYGROUND_USER } from './graphiql.js';

/** Where the page lives; everything under it is the dashboard's. */
const PREFIX = '/dashboard';
/** The development sign-in: GET says whether tokens are minted here, POST `{ user }` mints one. */
const DEV_TOKEN_PATH = `${PREFIX}/dev-token`;
const MAX_DEV_TOKEN_BODY = 1_024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Every response of the page: it talks only to this origin (GraphQL over HTTP and graphql-ws),
 * renders message text as text, and is framed by nobody.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface DashboardTargets {
  /** The built page (DASHBOARD_DIR): index.html and assets/, as `vite build` writes them. */
  dir: string;
  /** Mints a token for a user name (the development sign-in); null in production, as for GraphiQL. */
  signToken: ((userId: string) => Promise<string>) | null;
  log: Logger;
}

/**
 * /dashboard: the built dashboard's static files, read from `dir` and never from outside it;
 * 503 with what to run while it is not built. The token a link carries (`#token=`) stays in the
 * fragment, which browsers never send, so it reaches no request line and no log.
 */
export function handleDashboardRoute(req: IncomingMessage, res: ServerResponse, targets: DashboardTargets): boolean {
  const pathname = req.url?.split('?')[0] ?? '';
  if (pathname !== PREFIX && !pathname.startsWith(`${PREFIX}/`)) return false;
  if (pathname === DEV_TOKEN_PATH) {
    void devToken(req, res, targets.signToken).catch((error: unknown) => {
      targets.log.error({ err: error }, 'dashboard dev token failed');
      if (!res.headersSent) json(res, 500, { error: 'Could not mint a token' });
    });
    return true;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET or HEAD only\n');
    return true;
  }
  void serveFile(req, res, pathname, path.resolve(targets.dir)).catch((error: unknown) => {
    targets.log.error({ err: error }, 'dashboard file failed');
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal error\n');
  });
  return true;
}

async function serveFile(req: IncomingMessage, res: ServerResponse, pathname: string, root: string): Promise<void> {
  const indexFile = path.join(root, 'index.html');
  if (!(await isFile(indexFile))) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '60' })
      .end(`The dashboard is not built: run \`npm run build\` (it writes the page to ${root}), then restart the server.\n`);
    return;
  }
  const file = pathname === PREFIX || pathname === `${PREFIX}/` ? indexFile : fileUnder(root, pathname.slice(PREFIX.length + 1));
  if (!file || !(await isFile(file))) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
    return;
  }
  const body = await readFile(file);
  // Vite names built assets by their content hash: they never change under one name.
  const cacheControl = file.startsWith(path.join(root, 'assets') + path.sep) ? 'public, max-age=31536000, immutable' : 'no-cache';
  res.writeHead(200, {
    ...PAGE_HEADERS,
    'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': cacheControl,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The file a URL path names inside `root`, or null when it names none there: undecodable,
 * a NUL, a dot segment or a backslash (which Windows would read as a separator), or anything
 * that resolves outside `root`.
 */
export function fileUnder(root: string, urlPath: string): string | null {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (relative === '' || relative.includes('\0') || relative.includes('\\')) return null;
  if (relative.split('/').some((segment) => segment === '..' || segment === '.' || segment === '')) return null;
  const file = path.resolve(root, relative);
  return file.startsWith(root + path.sep) ? file : null;
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((stats) => stats.isFile(), () => false);
}

async function devToken(req: IncomingMessage, res: ServerResponse, signToken: DashboardTargets['signToken']): Promise<void> {
  if (!signToken) {
    // Production (or no secret to sign with): the page asks for a token instead.
    json(res, 404, { error: 'This server mints no tokens: sign in with a token' });
    return;
  }
  if (req.method === 'GET') return json(res, 200, { mints: true });
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'GET, POST' }).end();
    return;
  }
  const user = await readUser(req);
  if (!user) return json(res, 400, { error: 'Give { "user": "<name>" }: letters, digits, . _ @ -, at most 200' });
  json(res, 200, { token: await signToken(user) });
}

async function readUser(req: IncomingMessage): Promise<string | null> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > MAX_DEV_TOKEN_BODY) return null;
  }
  try {
    const user = (JSON.parse(body) as { user?: unknown }).user;
    return typeof user === 'string' && PLAYGROUND_USER.test(user) ? user : null;
  } catch {
    return null;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}
