import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exec, findOnPath, tail } from '../../core/exec';
import { ProvisionError } from '../../core/errors';
import type { Report } from '../../core/report';

export const COMPOSE_VERSION = 'v2.40.3';

/**
 * `docker compose` (v2), to check docker-compose.temporal.yml the way Docker reads it: the plugin if
 * Docker has one, else built from the Go module proxy into ~/.docker/cli-plugins (about two minutes once;
 * `go install ...@latest` refuses the module, so it is built from its downloaded source).
 */
export async function ensureDockerCompose(report: Report): Promise<void> {
  if ((await exec('docker', ['compose', 'version'])).code === 0) {
    report('docker compose: present');
    return;
  }
  const go = await findOnPath('go');
  if (!go)
    throw new ProvisionError(
      '`docker compose` is missing and no Go toolchain can build it; install Docker Compose v2',
    );
  const dl = await exec(go, ['mod', 'download', '-json', `github.com/docker/compose/v2@${COMPOSE_VERSION}`]);
  if (dl.code !== 0)
    throw new ProvisionError(`go mod download of docker compose failed:\n${tail(dl.stderr)}`);
  const dir = (JSON.parse(dl.stdout) as { Dir: string }).Dir;
  const plugins = path.join(os.homedir(), '.docker', 'cli-plugins');
  await fsp.mkdir(plugins, { recursive: true });
  const target = path.join(plugins, 'docker-compose');
  report(`docker compose: building ${COMPOSE_VERSION} into ${target} (about two minutes, once)`);
  // Each process builds into its own file: two provisioning at once (a test run beside CI) shared one
  // `.part`, and the one whose file the other had renamed away failed with go's download lines alone.
  const part = `${target}.${process.pid}.part`;
  const build = await exec(go, ['build', '-o', part, './cmd'], {
    cwd: dir,
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-trimpath' },
  });
  if (build.code !== 0 || !fs.existsSync(part))
    throw new ProvisionError(`building docker compose failed:\n${tail(build.stderr)}`);
  await fsp.rename(part, target);
}
