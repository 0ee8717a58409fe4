import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { Role, type Actor } from '../contracts';
import type { OidcSettings } from '../core/config';

/** The signature algorithms accepted, each with node:crypto's digest and the signature's encoding. */
const ALGORITHMS = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC' },
  ES384: { hash: 'sha384', kty: 'EC' },
} as const satisfies Record<string, { hash: string; kty: string; pss?: boolean }>;
type Algorithm = keyof typeof ALGORITHMS;

const Header = z.object({ alg: z.string(), kid: z.string().optional(), typ: z.string().optional() });
const Claims = z.looseObject({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  nbf: z.number().optional(),
  sub: z.string().min(1),
  jti: z.string().optional(),
});
const Jwks = z.object({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional(), use: z.string().optional() })),
});

/** Clock skew allowed on `exp` and `nbf`. */
const LEEWAY_S = 30;
/** How long fetched keys are trusted before they are fetched again. */
const JWKS_TTL_MS = 5 * 60_000;
/** An unknown `kid` refetches the keys (a rotation), at most this often. */
const REFETCH_MS = 30_000;

export type JwtCheck = { actor: Actor } | { refused: string };

/** Looks like a JWT (three base64url parts): worth verifying rather than matching against devcrew tokens. */
export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

/**
 * Bearer JWTs from an identity provider, checked with node:crypto against the provider's JWKS: the
 * signature (RS*, PS256, ES*; never `none`), the issuer, the audience, the expiry and not-before; the
 * role claim (`devcrew_role` unless configured: `approver`, `devcrew:approver` or a list holding one)
 * becomes the devcrew role.
 */
export function jwtVerifier(settings: OidcSettings, fetchImpl: typeof fetch = fetch) {
  let keys: { at: number; byKid: Map<string | undefined, { key: KeyObject; kty: string }> } | undefined;
  let lastFetch = 0;

  async function loadKeys(): Promise<NonNullable<typeof keys>> {
    lastFetch = Date.now();
    const res = await fetchImpl(settings.jwksUrl, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`JWKS ${settings.jwksUrl} answered ${res.status}`);
    const jwks = Jwks.parse(await res.json());
    const byKid = new Map<string | undefined, { key: KeyObject; kty: string }>();
    for (const jwk of jwks.keys) {
      if (jwk.use && jwk.use !== 'sig') continue;
      try {
        byKid.set(jwk.kid, { key: createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }), kty: jwk.kty });
      } catch {
        // A key node cannot read is skipped; a token signed with it is refused as unknown.
      }
    }
    keys = { at: Date.now(), byKid };
    return keys;
  }

  async function keyFor(kid: string | undefined) {
    let current = keys && Date.now() - keys.at < JWKS_TTL_MS ? keys : await loadKeys();
    let found =
      current.byKid.get(kid) ??
      (kid === undefined && current.byKid.size === 1 ? [...current.byKid.values()][0] : undefined);
    if (!found && Date.now() - lastFetch > REFETCH_MS) {
      current = await loadKeys();
      found = current.byKid.get(kid);
    }
    return found;
  }

  return async function check(token: string, now = Date.now()): Promise<JwtCheck> {
    const [h, p, s] = token.split('.') as [string, string, string];
    let header: z.infer<typeof Header>;
    let claims: z.infer<typeof Claims>;
    try {
      header = Header.parse(JSON.parse(Buffer.from(h, 'base64url').toString('utf8')));
      const parsed = Claims.safeParse(JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
      if (!parsed.success) return { refused: 'the JWT lacks iss, aud, exp or sub' };
      claims = parsed.data;
    } catch {
      return { refused: 'not a readable JWT' };
    }
    if (!(header.alg in ALGORITHMS)) return { refused: `JWT algorithm "${header.alg}" is not accepted` };
    const alg = ALGORITHMS[header.alg as Algorithm];
    let key;
    try {
      key = await keyFor(header.kid);
    } catch (err) {
      return { refused: `the JWKS could not be read (${err instanceof Error ? err.message : String(err)})` };
    }
    if (!key || key.kty !== alg.kty)
      return { refused: `no ${alg.kty} key "${header.kid ?? ''}" in the JWKS` };
    const signed = verify(
      alg.hash,
      Buffer.from(`${h}.${p}`),
      {
        key: key.key,
        ...(alg.kty === 'EC' ? { dsaEncoding: 'ieee-p1363' as const } : {}),
        ...('pss' in alg ? { padding: 6, saltLength: 32 } : {}), // RSA_PKCS1_PSS_PADDING
      },
      Buffer.from(s, 'base64url'),
    );
    if (!signed) return { refused: 'the JWT signature does not verify' };
    if (claims.iss !== settings.issuer)
      return { refused: `the JWT issuer "${claims.iss}" is not the configured one` };
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(settings.audience)) return { refused: 'the JWT is for another audience' };
    const t = now / 1000;
    if (claims.exp + LEEWAY_S <= t) return { refused: 'the JWT has expired' };
    if (claims.nbf !== undefined && claims.nbf - LEEWAY_S > t) return { refused: 'the JWT is not valid yet' };
    const role = roleOf(claims[settings.roleClaim]);
    if (!role) return { refused: `the JWT's "${settings.roleClaim}" claim names no devcrew role` };
    const named = claims[settings.nameClaim];
    const name = typeof named === 'string' && named.length > 0 ? named.slice(0, 200) : claims.sub;
    return {
      actor: {
        name,
        role,
        credential_id: `jwt:${claims.iss}#${claims.jti ?? claims.sub}`.slice(0, 400),
        via: 'jwt',
      },
    };
  };
}

function roleOf(claim: unknown): Role | undefined {
  const values = Array.isArray(claim) ? claim : [claim];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const role = Role.safeParse(v.replace(/^devcrew[:-]/, ''));
    if (role.success) return role.data;
  }
  return undefined;
}
