import type { Command } from 'commander';
import { AddUserRequest, UserName, zodErrorText, type UserView } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { isDevcrewError } from '../../core/errors';
import { usersStore } from '../../server/users';
import { CliError, EXIT } from '../exit-codes';
import { cliActor } from '../identity';

/**
 * `devcrew users add|revoke|list`: the people who may use this devcrew, each with a role and a token of
 * their own (stored as a hash in the state dir, shown once). Needs an admin once anyone is configured.
 */
export function registerUsers(program: Command): void {
  const users = program.command('users').description('people, their roles and their tokens (admins only)');
  users
    .command('add')
    .description(
      'add a person with a role; prints their token once (keep it secret: it is stored only as a hash)',
    )
    .argument('<name>', 'who, e.g. ana')
    .option('--role <role>', 'viewer, requester, approver, operator or admin')
    .option('--expires <days>', 'days until the token expires', '90')
    .option('--json', 'print { "token": ..., "user": ... } as JSON')
    .action(async (name: string, o: { role?: string; expires: string; json?: boolean }) => {
      if (!o.role) throw new CliError('give a role: --role viewer|requester|approver|operator|admin');
      const request = AddUserRequest.safeParse({ name, role: o.role, expires_days: Number(o.expires) });
      if (!request.success)
        throw new CliError(
          `the user was not added:\n${zodErrorText(request.error)}\ne.g. devcrew users add ana --role approver --expires 90`,
        );
      const by = await cliActor('users');
      const { token, user } = await store(() => storeOf().add(request.data, by));
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ token, user })}\n`);
        return;
      }
      process.stdout.write(
        `added ${user.name} (${user.role}, ${user.credential_id}, expires ${user.expires_at})\n` +
          `token (shown once; give it to ${user.name} privately):\n${token}\n` +
          `they use it as DEVCREW_TOKEN=<token> for the CLI, or "Authorization: Bearer <token>" for the API\n`,
      );
    });
  users
    .command('revoke')
    .description("revoke a person's token at once (the record stays for the audit)")
    .argument('<name>')
    .action(async (name: string) => {
      const checked = UserName.safeParse(name);
      if (!checked.success) throw new CliError(zodErrorText(checked.error, { style: 'one line' }));
      const by = await cliActor('users');
      const user = await store(() => storeOf().revoke(checked.data, by));
      process.stdout.write(`revoked ${user.name} (${user.credential_id})\n`);
    });
  users
    .command('list')
    .description('everyone with a token: role, status, expiry (never the tokens)')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => {
      await cliActor('users');
      const list = await store(() => storeOf().list());
      if (o.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        process.stdout.write('no users yet; add one with devcrew users add <name> --role <role>\n');
        return;
      }
      for (const u of list) process.stdout.write(`${line(u)}\n`);
    });
}

const storeOf = () => usersStore(pathsFrom(readEnv()).stateDir);

const line = (u: UserView) =>
  `${u.name.padEnd(20)} ${u.role.padEnd(9)} ${u.status.padEnd(7)} ${u.credential_id}  expires ${u.expires_at.slice(0, 10)}${u.revoked_at ? `  revoked ${u.revoked_at.slice(0, 10)}` : ''}`;

async function store<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isDevcrewError(err)) throw new CliError(err.message, EXIT.invalid);
    throw err;
  }
}
