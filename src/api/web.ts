import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The dashboard's static files (built by Vite into dist/web), served from the
 * engine's own HTTP server. It answers only what no route answered, so it
 * never shadows the API, /metrics or the health checks; a path with no file
 * and no extension is a client-side route and gets index.html.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** Paths that belong to the server, never to the dashboard. */
const RESERVED = /^\/(?:api(?:\/|$)|metrics$|healthz$|readyz$)/;

/** dist/web next to the compiled server (dist/src/api), also when running from the TypeScript sources. */
export function defaultWebRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here.includes(join('dist', 'src')) ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
  return join(root, 'dist', 'web');
}

/** Resolves to true when it answered, false when the request is not the dashboard's. */
export async function serveWeb(root: string, req: FastifyRequest, reply: FastifyReply): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = decodePath(req.url.split('?')[0] ?? '/');
  if (path === null || RESERVED.test(path)) return false;
  const base = resolve(root);
  const file = resolve(base, '.' + path);
  // `..` or an encoded separator cannot leave the web root.
  if (file !== base && !file.startsWith(base + sep)) return false;
  const found = await fileAt(file);
  if (found) return send(reply, found.path, found.size, path.startsWith('/assets/'));
  if (extname(path) !== '') return false;
  const index = await fileAt(join(base, 'index.html'));
  if (!index) {
    await reply.status(503).type('text/plain; charset=utf-8')
      .send('The dashboard is not built: run `npm run build` (it builds the engine and the dashboard into dist/).\n');
    return true;
  }
  return send(reply, index.path, index.size, false);
}

function decodePath(p: string): string | null {
  try {
    const d = decodeURIComponent(p);
    return d.includes('\0') ? null : d;
  } catch {
    return null;
  }
}

async function fileAt(path: string): Promise<{ path: string; size: number } | null> {
  try {
    let s = await stat(path);
    if (s.isDirectory()) {
      path = join(path, 'index.html');
      s = await stat(path);
    }
    return s.isFile() ? { path, size: s.size } : null;
  } catch {
    return null;
  }
}

async function send(reply: FastifyReply, path: string, size: number, immutable: boolean): Promise<true> {
  // Vite puts a content hash in every asset name: those never change. index.html must be asked again each time.
  reply
    .status(200)
    .header('content-type', TYPES[extname(path)] ?? 'application/octet-stream')
    .header('content-length', size)
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('x-content-type-options', 'nosniff');
  if (extname(path) === '.html') reply.header('x-frame-options', 'DENY');
  await reply.send(reply.request.method === 'HEAD' ? '' : createReadStream(path));
  return true;
}
