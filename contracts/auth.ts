import { z } from 'zod';

/**
 * Who may do what. A person (or a program such as Alertmanager) holds one role; each role allows a set
 * of actions, and every HTTP endpoint and CLI command names the action it needs (`server/auth.ts`,
 * `cli/identity.ts`). Pure data, so workflow code may import it.
 */
export const Role = z.enum(['viewer', 'requester', 'approver', 'operator', 'admin'], {
  error: 'expected a role: viewer, requester, approver, operator or admin',
});
export type Role = z.infer<typeof Role>;

export const Action = z.enum(['read', 'start', 'cancel', 'rate', 'decide', 'rollout', 'alerts', 'users']);
export type Action = z.infer<typeof Action>;

/** Every role reads; the others add their own actions; admin may do everything. */
export const ROLE_ACTIONS: Record<Role, readonly Action[]> = {
  viewer: ['read'],
  requester: ['read', 'start', 'cancel', 'rate'],
  approver: ['read', 'decide'],
  operator: ['read', 'rollout', 'alerts'],
  admin: Action.options,
};

export function roleAllows(role: Role, action: Action): boolean {
  return ROLE_ACTIONS[role].includes(action);
}

/**
 * The authenticated caller, as recorded in histories, audit entries and provenance: a name, a role, and
 * the id of the credential it proved (never the credential itself).
 */
export const Actor = z.strictObject({
  name: z.string().min(1).max(200),
  role: Role,
  /** `usr_…` for a devcrew token, `bootstrap` for DEVCREW_API_TOKEN, `jwt:<issuer>#<jti or sub>`, `local`. */
  credential_id: z.string().min(1).max(400),
  via: z.enum(['token', 'bootstrap', 'jwt', 'local']),
});
export type Actor = z.infer<typeof Actor>;

/** A person's name: what approvals and audits show. */
export const UserName = z
  .string({ error: 'name the person, e.g. ana' })
  .regex(
    /^[a-z0-9][a-z0-9._@-]{0,63}$/,
    'a user name is 1-64 lower-case letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
  );

/** One per-person token as stored: its hash only, never the token. */
export const UserRecord = z.strictObject({
  name: UserName,
  role: Role,
  credential_id: z.string().regex(/^usr_[0-9a-f]{16}$/),
  /** sha256 (hex) of the token; the token itself is shown once, when it is made. */
  token_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.string(),
  expires_at: z.string(),
  created_by: z.string(),
  revoked_at: z.string().nullable(),
});
export type UserRecord = z.infer<typeof UserRecord>;

/** A change to the users, kept in the same file: who made whom what, with which credential. */
export const UserAuditEntry = z.strictObject({
  at: z.string(),
  action: z.enum(['add', 'revoke']),
  name: z.string(),
  role: Role,
  credential_id: z.string(),
  by: z.string(),
  by_credential_id: z.string(),
});
export type UserAuditEntry = z.infer<typeof UserAuditEntry>;

/** `<state dir>/users.json`. */
export const UsersFile = z.strictObject({
  version: z.literal(1),
  users: z.array(UserRecord),
  audit: z.array(UserAuditEntry),
});
export type UsersFile = z.infer<typeof UsersFile>;

/** `POST /v1/users`, `devcrew users add`. */
export const AddUserRequest = z.strictObject({
  name: UserName,
  role: Role,
  expires_days: z
    .number({ error: 'expires_days must be a number of days, e.g. 90' })
    .int('expires_days must be whole days')
    .min(1, 'expires_days must be at least 1')
    .max(3650, 'expires_days must be at most 3650 (ten years)')
    .default(90),
});
export type AddUserRequest = z.infer<typeof AddUserRequest>;

/** A user as listed: no hash. */
export type UserView = Omit<UserRecord, 'token_sha256'> & { status: 'active' | 'expired' | 'revoked' };

/**
 * How a run's gates are decided, fixed by the deployment when the run starts (not by the body, so a
 * requester cannot turn it off): four eyes (the requester may not approve their own run's gates) and how
 * many distinct people must approve.
 */
export const GatePolicy = z.strictObject({
  four_eyes: z.boolean(),
  approvals: z.number().int().min(1).max(10),
});
export type GatePolicy = z.infer<typeof GatePolicy>;

/** One change, who made it and with which credential: what `devcrew audit` shows. */
export const AuditEntry = z.strictObject({
  at: z.string(),
  /** The run's or the rollout's workflow id, or `users`. */
  subject: z.string(),
  action: z.enum([
    'start',
    'gate_decision',
    'cancel',
    'rating',
    'rollout_change',
    'rollback',
    'user_add',
    'user_revoke',
  ]),
  by: z.string(),
  credential_id: z.string().nullable(),
  detail: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;
