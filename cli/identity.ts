import type { Action, Actor } from '../contracts';
import { oidcFrom, pathsFrom, readEnv } from '../core/config';
import { isDevcrewError } from '../core/errors';
import { authenticator, localActor, requireRole } from '../server/auth';
import { usersStore } from '../server/users';
import { CliError, EXIT } from './exit-codes';

/**
 * Who runs this command, and whether their role allows `action`: the token in DEVCREW_TOKEN (from
 * `devcrew users add`, or an identity provider's JWT), else DEVCREW_API_TOKEN (the admin bootstrap
 * credential). With no identity configured on this machine (no users, no DEVCREW_API_TOKEN, no identity
 * provider) the person at the keyboard may do everything, as on a fresh laptop.
 */
export async function cliActor(action: Action): Promise<Actor> {
  const env = readEnv();
  const auth = authenticator({
    users: usersStore(pathsFrom(env).stateDir),
    bootstrapToken: env.DEVCREW_API_TOKEN,
    oidc: oidcFrom(env),
  });
  const credential = env.DEVCREW_TOKEN ?? env.DEVCREW_API_TOKEN;
  let actor: Actor;
  if (!credential) {
    if (await auth.configured())
      throw new CliError(
        'this devcrew has people configured, so every command needs a credential: set DEVCREW_TOKEN to your token (an admin makes one with devcrew users add <name> --role <role>)',
        EXIT.invalid,
      );
    actor = localActor();
  } else {
    const checked = await auth.authenticate(credential);
    if ('refused' in checked)
      throw new CliError(
        `DEVCREW_TOKEN was refused: ${checked.refused}; ask an admin for a new token (devcrew users add)`,
        EXIT.invalid,
      );
    actor = checked.actor;
  }
  try {
    requireRole(actor, action);
  } catch (err) {
    if (isDevcrewError(err)) throw new CliError(err.message, EXIT.invalid);
    throw err;
  }
  return actor;
}
