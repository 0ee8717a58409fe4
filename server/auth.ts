import { timingSafeEqual } from 'node:crypto';
import os from 'node:os';
import type { Request, RequestHandler } from 'express';
import { ROLE_ACTIONS, roleAllows, type Action, type Actor, type Role } from '../contracts';
import type { OidcSettings } from '../core/config';
import { DevcrewError } from '../core/errors';
import { HttpError } from './http-error';
import { jwtVerifier, looksLikeJwt } from './jwt';
import type { UsersStore } from './users';

export type AuthCheck = { actor: Actor } | { refused: string };

/** Proves who a bearer credential belongs to: a devcrew token, the bootstrap token, or a provider's JWT. */
export interface Authenticator {
  /** Whether any identity is configured (a user, DEVCREW_API_TOKEN, an identity provider). */
  configured(): Promise<boolean>;
  authenticate(credential: string): Promise<AuthCheck>;
}

export function authenticator(deps: {
  users: UsersStore;
  /** DEVCREW_API_TOKEN: the admin bootstrap credential. */
  bootstrapToken?: string | undefined;
  oidc?: OidcSettings | undefined;
  fetchImpl?: typeof fetch;
}): Authenticator {
  const bootstrap = deps.bootstrapToken ? Buffer.from(deps.bootstrapToken) : undefined;
  const jwt = deps.oidc ? jwtVerifier(deps.oidc, deps.fetchImpl) : undefined;
  return {
    configured: async () => Boolean(bootstrap || jwt) || (await deps.users.configured()),
    async authenticate(credential) {
      const given = Buffer.from(credential);
      if (bootstrap && given.length === bootstrap.length && timingSafeEqual(given, bootstrap))
        return {
          actor: { name: 'bootstrap-admin', role: 'admin', credential_id: 'bootstrap', via: 'bootstrap' },
        };
      if (looksLikeJwt(credential)) {
        if (!jwt) return { refused: 'a JWT, but no identity provider is configured (DEVCREW_OIDC_JWKS_URL)' };
        return jwt(credential);
      }
      const checked = await deps.users.verify(credential);
      if ('refused' in checked) return checked;
      const { user } = checked;
      return { actor: { name: user.name, role: user.role, credential_id: user.credential_id, via: 'token' } };
    },
  };
}

/** The person at the keyboard of a devcrew with no identity configured: the laptop case. */
export function localActor(): Actor {
  let name = process.env.USER ?? '';
  try {
    name ||= os.userInfo().username;
  } catch {
    // no passwd entry (a container): fall through
  }
  return { name: name || 'local', role: 'admin', credential_id: 'local', via: 'local' };
}

/** The roles that allow an action, for messages. */
export function rolesFor(action: Action): Role[] {
  return (Object.keys(ROLE_ACTIONS) as Role[]).filter((r) => roleAllows(r, action));
}

/** Refuses an actor whose role does not allow the action (FORBIDDEN), naming the roles that would. */
export function requireRole(actor: Actor, action: Action): void {
  if (!roleAllows(actor.role, action))
    throw new DevcrewError(
      'FORBIDDEN',
      `${actor.name} is ${actor.role}, which may not ${action}`,
      `this needs one of: ${rolesFor(action).join(', ')}`,
    );
}

/**
 * Failed authentications per client in a fixed one-minute window. A client over its limit is refused
 * (429 with Retry-After) before its credential is even looked at, until the window ends.
 */
export function failureLimiter(limit: number, windowMs = 60_000, now = () => Date.now()) {
  const clients = new Map<string, { start: number; failures: number }>();
  const current = (client: string) => {
    const t = now();
    let entry = clients.get(client);
    if (!entry || t - entry.start >= windowMs) {
      if (clients.size > 10_000) for (const [k, v] of clients) if (t - v.start >= windowMs) clients.delete(k);
      entry = { start: t, failures: 0 };
      clients.set(client, entry);
    }
    return entry;
  };
  return {
    /** Seconds to wait, when the client is over its limit. */
    blocked(client: string): number | undefined {
      const e = current(client);
      return e.failures >= limit ? Math.max(1, Math.ceil((e.start + windowMs - now()) / 1000)) : undefined;
    },
    /** Counts a failure; true when it is the one that reaches the limit. */
    fail(client: string): boolean {
      const e = current(client);
      e.failures += 1;
      return e.failures === limit;
    },
  };
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Who made the request, once `authorize` let it through (undefined: an open read, nothing configured). */
    actor?: Actor;
  }
}

/** The authenticated caller of a request that needs one. */
export function actorOf(req: Request): Actor {
  if (!req.actor) throw new HttpError('INTERNAL', 'no authenticated caller on a request that needs one');
  return req.actor;
}

/**
 * The HTTP guard, one per action: a bearer credential is proved and its role checked. With nothing
 * configured reads stay open and changes are refused (API_TOKEN_NOT_SET), as on a fresh laptop.
 * Failures are counted per client, logged by reason and credential id, never with the credential.
 */
export function httpAuth(deps: {
  auth: Authenticator;
  failuresPerMinute: number;
  log: (message: string) => void;
}) {
  const limiter = failureLimiter(deps.failuresPerMinute);
  return (action: Action): RequestHandler =>
    (req, res, next) => {
      void (async () => {
        const client = req.socket.remoteAddress ?? 'unknown';
        const wait = limiter.blocked(client);
        if (wait !== undefined) {
          res.set('retry-after', String(wait));
          throw new HttpError(
            'AUTH_RATE_LIMITED',
            `too many failed authentications from this client; try again in ${wait} s`,
          );
        }
        const header = req.get('authorization');
        if (header === undefined) {
          if (!(await deps.auth.configured())) {
            if (action === 'read') return;
            throw new HttpError(
              'API_TOKEN_NOT_SET',
              'this server has no credentials configured; set DEVCREW_API_TOKEN, or add people with devcrew users add',
            );
          }
        }
        const credential = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
        const checked = credential
          ? await deps.auth.authenticate(credential)
          : { refused: header === undefined ? 'no credential' : 'not a Bearer authorization' };
        if ('refused' in checked) {
          // Requests in flight together all passed the check above: those past the limit get 429 too.
          const over = limiter.blocked(client);
          const reached = limiter.fail(client);
          if (over !== undefined) {
            res.set('retry-after', String(over));
            throw new HttpError(
              'AUTH_RATE_LIMITED',
              `too many failed authentications from this client; try again in ${over} s`,
            );
          }
          deps.log(`authentication refused from ${client} on ${req.method} ${req.path}: ${checked.refused}`);
          if (reached)
            deps.log(
              `client ${client} reached ${deps.failuresPerMinute} failed authentications; refused (429) for the rest of the minute`,
            );
          throw new HttpError(
            'UNAUTHORIZED',
            `${checked.refused}; send "Authorization: Bearer <token>" with a token from devcrew users add (or DEVCREW_API_TOKEN)`,
          );
        }
        requireRole(checked.actor, action);
        req.actor = checked.actor;
      })().then(() => next(), next);
    };
}
