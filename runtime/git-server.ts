import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { simpleGit } from 'simple-git';
import { cleanGitEnv } from '../artifacts/git-process';
import { ProvisionError } from '../core/errors';
import type { Report } from '../core/report';

/**
 * devcrew's Git server: Git's own smart-HTTP server (`git http-backend`, part of every git install, so of
 * Debian's `git` package) behind a small Node HTTP server that adds what http-backend leaves to a web
 * server: listening, HTTP basic auth against a token, and one repository created at start. Chosen over
 * `git daemon` because git:// has no authentication at all (a daemon that accepts pushes accepts them
 * from anyone who can reach it), and over Gitea/Forgejo because a store needs refs and objects, not
 * users, issues and a database; any of those (or GitHub) serves the same URL shape later.
 */
export interface GitServer {
  /** `http://host:port`; a repository is `${url}/<name>.git`. */
  url: string;
  port: number;
  root: string;
  /** Stops listening and drops open connections; `start` with the same port brings it back. */
  stop(): Promise<void>;
}

export interface GitServerOptions {
  /** The folder holding the bare repositories (`<name>.git`). */
  root: string;
  host?: string;
  /** 0: any free port. */
  port: number;
  /** HTTP basic auth: the password every request must present (any user name). Unset: no auth. */
  token?: string;
  /** Bare repositories to create when missing (the store's: `artifacts`). */
  repositories?: string[];
  report?: Report;
}

/** Creates `<root>/<name>.git` (bare) when missing, configured for a store: pushes over HTTP, fetch by SHA. */
export async function ensureServerRepository(root: string, name: string): Promise<string> {
  const dir = path.join(root, `${name}.git`);
  await fs.mkdir(dir, { recursive: true });
  const git = simpleGit({ baseDir: dir }).env({ ...cleanGitEnv(), GIT_DIR: dir });
  if ((await fs.stat(path.join(dir, 'HEAD')).catch(() => undefined)) === undefined) {
    await git.raw(['init', '--bare', '--quiet', dir]);
  }
  for (const [key, value] of [
    ['http.receivepack', 'true'],
    // A host fetches a dependency's commit by its SHA (an ArtifactRef carries only that).
    ['uploadpack.allowReachableSHA1InWant', 'true'],
    ['uploadpack.allowAnySHA1InWant', 'true'],
    // An audit trail of every ref move, as the local store keeps.
    ['core.logAllRefUpdates', 'always'],
    ['receive.denyDeletes', 'true'],
  ] as const) {
    await git.raw(['config', key, value]);
  }
  return dir;
}

export async function startGitServer(o: GitServerOptions): Promise<GitServer> {
  const root = path.resolve(o.root);
  await fs.mkdir(root, { recursive: true });
  for (const name of o.repositories ?? []) await ensureServerRepository(root, name);
  const host = o.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    if (o.token !== undefined && !authorized(req.headers.authorization, o.token)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="devcrew git"', 'Content-Type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    serveCgi(root, req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new ProvisionError(
          err.code === 'EADDRINUSE'
            ? `port ${o.port} is taken; set DEVCREW_GIT_SERVER_PORT to a free port`
            : `the Git server could not listen on ${host}:${o.port}: ${err.message}`,
        ),
      ),
    );
    server.listen(o.port, host, resolve);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  o.report?.(`Git server (git http-backend) at ${url}, repositories in ${root}`);
  return {
    url,
    port,
    root,
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

function authorized(header: string | undefined, token: string): boolean {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const given = Buffer.from(decoded.slice(decoded.indexOf(':') + 1));
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** One request through `git http-backend` as a CGI program. */
function serveCgi(root: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://git');
  const env: Record<string, string> = {
    ...cleanGitEnv(),
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REQUEST_METHOD: req.method ?? 'GET',
    REMOTE_ADDR: req.socket.remoteAddress ?? '',
    REMOTE_USER: 'devcrew',
  };
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const contentType = header('content-type');
  if (contentType) env.CONTENT_TYPE = contentType;
  const contentLength = header('content-length');
  if (contentLength) env.CONTENT_LENGTH = contentLength;
  const encoding = header('content-encoding');
  if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
  const protocol = header('git-protocol');
  if (protocol) env.GIT_PROTOCOL = protocol;

  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  req.on('error', () => child.kill());
  res.on('close', () => {
    if (child.exitCode === null) child.kill();
  });

  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = findHeaderEnd(head);
    if (end === undefined) return;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end.at).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    headersSent = true;
    const rest = head.subarray(end.at + end.length);
    if (rest.length > 0) res.write(rest);
  });
  child.on('close', (code) => {
    if (!headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`git http-backend failed (exit ${String(code)}): ${stderr.trim()}\n`);
      return;
    }
    res.end();
  });
  child.on('error', (err) => {
    if (!headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`git http-backend could not start: ${err.message}\n`);
    }
  });
}

function findHeaderEnd(buf: Buffer): { at: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf <= lf)) return { at: crlf, length: 4 };
  if (lf !== -1) return { at: lf, length: 2 };
  return undefined;
}
