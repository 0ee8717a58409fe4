import { Command, CommanderError } from 'commander';
import packageJson from '../package.json';
import { ConfigError } from '../core/config';
import { ProvisionError } from '../runtime/provision';
import { registerApi } from './commands/api';
import { registerArtifacts } from './commands/artifacts';
import { registerAudit } from './commands/audit';
import { registerEval } from './commands/eval';
import { registerManage } from './commands/manage';
import { registerModels } from './commands/models';
import { registerModelServer } from './commands/model-server';
import { registerGitServer } from './commands/git-server';
import { registerPlan } from './commands/plan';
import { registerRate, registerRollout } from './commands/rollout';
import { registerRun } from './commands/run';
import { registerSandbox } from './commands/sandbox';
import { registerSchema } from './commands/schema';
import { registerServer } from './commands/server';
import { registerSetup } from './commands/setup';
import { registerUp } from './commands/up';
import { registerUsers } from './commands/users';
import { registerValidate } from './commands/validate';
import { registerWorker } from './commands/worker';
import { CliError, EXIT } from './exit-codes';

const program = new Command()
  .name('devcrew')
  .description('A durable crew of AI developer agents on Temporal')
  .version(packageJson.version)
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

for (const register of [
  registerUp,
  registerRun,
  registerManage,
  registerRollout,
  registerUsers,
  registerAudit,
  registerRate,
  registerEval,
  registerPlan,
  registerValidate,
  registerSchema,
  registerArtifacts,
  registerWorker,
  registerApi,
  registerModels,
  registerModelServer,
  registerGitServer,
  registerSandbox,
  registerServer,
  registerSetup,
]) {
  register(program);
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return;
  }
  if (err instanceof CliError) {
    process.stderr.write(`devcrew: ${err.message}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  if (err instanceof ConfigError || err instanceof ProvisionError) {
    process.stderr.write(`devcrew: ${err.message}\n`);
    process.exitCode = EXIT.invalid;
    return;
  }
  process.stderr.write(
    `devcrew: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = EXIT.invalid;
  // What the failed command left open (a half-made Temporal connection after Ctrl-C stopped the server
  // mid-start, a child's pipe) must not keep the process alive: it has nothing left to do.
  setTimeout(() => process.exit(), 5_000).unref();
});
