import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../core/files';
import {
  zodErrorText,
  UsersFile,
  type Actor,
  type AddUserRequest,
  type UserRecord,
  type UserView,
} from '../contracts';
import { ConfigError, DevcrewError } from '../core/errors';

/** The file under the state dir that holds the users: names, roles, expiries and token hashes only. */
export const USERS_FILE = 'users.json';

/** How a devcrew token looks: `dcw_<credential id>_<secret>`; the id finds the record, the secret proves it. */
const TOKEN = /^dcw_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface UsersStore {
  /** Whether any user was ever added: from then on every read needs a credential. */
  configured(): Promise<boolean>;
  list(now?: Date): Promise<UserView[]>;
  /** Adds a user and answers with the token, which is not kept anywhere. */
  add(request: AddUserRequest, by: Actor, now?: Date): Promise<{ token: string; user: UserView }>;
  revoke(name: string, by: Actor, now?: Date): Promise<UserView>;
  /** The active, unexpired user this token belongs to, or why not. */
  verify(token: string, now?: Date): Promise<{ user: UserRecord } | { refused: string }>;
  audit(): Promise<UsersFile['audit']>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function statusOf(u: UserRecord, now = new Date()): UserView['status'] {
  if (u.revoked_at) return 'revoked';
  return Date.parse(u.expires_at) <= now.getTime() ? 'expired' : 'active';
}

function view(u: UserRecord, now?: Date): UserView {
  const { token_sha256: _hash, ...rest } = u;
  return { ...rest, status: statusOf(u, now) };
}

/** The users of the devcrew whose state dir this is. */
export function usersStore(stateDir: string): UsersStore {
  const file = path.join(stateDir, USERS_FILE);

  async function read(): Promise<UsersFile> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, users: [], audit: [] };
      throw err;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ConfigError(`${file} is not JSON`, 'restore it from a backup, or remove it to start over');
    }
    const parsed = UsersFile.safeParse(json);
    if (!parsed.success)
      throw new ConfigError(
        `${file} does not match its contract:\n${zodErrorText(parsed.error)}`,
        'restore it from a backup, or remove it to start over',
      );
    return parsed.data;
  }

  async function write(data: UsersFile): Promise<void> {
    await fs.mkdir(stateDir, { recursive: true });
    await writeFileAtomic(file, `${JSON.stringify(UsersFile.parse(data), null, 2)}\n`, { mode: 0o600 });
  }

  return {
    configured: async () => (await read()).users.length > 0,
    list: async (now) => (await read()).users.map((u) => view(u, now)),
    audit: async () => (await read()).audit,

    async add(request, by, now = new Date()) {
      const data = await read();
      const same = data.users.find((u) => u.name === request.name && statusOf(u, now) === 'active');
      if (same)
        throw new DevcrewError(
          'USER_EXISTS',
          `"${request.name}" has an active token (${same.credential_id}, ${same.role}, until ${same.expires_at})`,
          `revoke it first: devcrew users revoke ${request.name}`,
        );
      const id = randomBytes(8).toString('hex');
      const token = `dcw_${id}_${randomBytes(32).toString('base64url')}`;
      const user: UserRecord = {
        name: request.name,
        role: request.role,
        credential_id: `usr_${id}`,
        token_sha256: sha256(token),
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + request.expires_days * 86_400_000).toISOString(),
        created_by: by.name,
        revoked_at: null,
      };
      data.users.push(user);
      data.audit.push({
        at: now.toISOString(),
        action: 'add',
        name: user.name,
        role: user.role,
        credential_id: user.credential_id,
        by: by.name,
        by_credential_id: by.credential_id,
      });
      await write(data);
      return { token, user: view(user, now) };
    },

    async revoke(name, by, now = new Date()) {
      const data = await read();
      const live = data.users.filter((u) => u.name === name && !u.revoked_at);
      if (live.length === 0)
        throw new DevcrewError(
          'USER_NOT_FOUND',
          `no user "${name}" with a token to revoke`,
          'see the users with devcrew users list',
        );
      for (const u of live) {
        u.revoked_at = now.toISOString();
        data.audit.push({
          at: now.toISOString(),
          action: 'revoke',
          name,
          role: u.role,
          credential_id: u.credential_id,
          by: by.name,
          by_credential_id: by.credential_id,
        });
      }
      await write(data);
      return view(live.at(-1)!, now);
    },

    async verify(token, now = new Date()) {
      const m = TOKEN.exec(token);
      if (!m) return { refused: 'not a devcrew token' };
      const user = (await read()).users.find((u) => u.credential_id === `usr_${m[1]}`);
      const given = Buffer.from(sha256(token), 'hex');
      if (!user || !timingSafeEqual(given, Buffer.from(user.token_sha256, 'hex')))
        return { refused: 'unknown token' };
      const status = statusOf(user, now);
      if (status !== 'active') return { refused: `token ${user.credential_id} of ${user.name} is ${status}` };
      return { user };
    },
  };
}
