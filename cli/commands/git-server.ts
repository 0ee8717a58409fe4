import path from 'node:path';
import type { Command } from 'commander';
import { pathsFrom, readEnv } from '../../core/config';
import { startGitServer } from '../../runtime/git-server';
import { stderrReport } from '../../runtime/provision';

/**
 * `devcrew git-server`: the artifact store's Git server alone (git http-backend behind devcrew's HTTP
 * server), for a host of its own in a team topology. Workers on every host point at it with
 * DEVCREW_ARTIFACTS_SERVER_URL=http://<host>:<port>/artifacts.git and DEVCREW_ARTIFACTS_SERVER_TOKEN.
 */
export function registerGitServer(program: Command): void {
  program
    .command('git-server')
    .description("serve the artifact store's Git repository to worker hosts (git http-backend)")
    .action(async () => {
      const env = readEnv();
      const server = await startGitServer({
        root: path.join(pathsFrom(env).stateDir, 'git-server'),
        host: env.DEVCREW_GIT_SERVER_HOST,
        port: env.DEVCREW_GIT_SERVER_PORT,
        token: env.DEVCREW_GIT_SERVER_TOKEN,
        repositories: ['artifacts'],
        report: stderrReport,
      });
      process.stdout.write(
        `Git server at ${server.url}/artifacts.git${env.DEVCREW_GIT_SERVER_TOKEN ? ' (token required)' : ' (no token: set DEVCREW_GIT_SERVER_TOKEN before exposing it)'}; Ctrl-C stops it\n`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.stop();
    });
}
