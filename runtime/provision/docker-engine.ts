import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { exec, findOnPath, tail } from '../../core/exec';
import { ProvisionError } from '../../core/errors';
import type { Report } from '../../core/report';
import { dockerAnswers, dockerClient } from '../../sandbox/docker-client';

/**
 * Makes sure a Docker engine answers: a running one is used as it is; on Debian as root, Debian's
 * docker.io is installed if need be and dockerd started as a daemon; anywhere else the error says how.
 */
export async function ensureDockerEngine(stateDir: string, report: Report): Promise<Docker> {
  const docker = dockerClient();
  if (await dockerAnswers(docker)) {
    report(`Docker engine: answering at ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'}`);
    return docker;
  }
  if (process.env.DOCKER_HOST) {
    throw new ProvisionError(
      `DOCKER_HOST=${process.env.DOCKER_HOST} does not answer; start that engine or unset DOCKER_HOST to use the local one`,
    );
  }
  const canInstall =
    process.platform === 'linux' && process.getuid?.() === 0 && fs.existsSync('/etc/debian_version');
  if (!canInstall) {
    throw new ProvisionError(
      'no Docker engine answers at /var/run/docker.sock.\n' +
        '  Start Docker (Docker Desktop, `sudo systemctl start docker`, or `sudo dockerd`), or set DOCKER_HOST.',
    );
  }
  if (!(await findOnPath('dockerd'))) {
    report("Docker engine: installing Debian's docker.io");
    await aptInstall(['docker.io']);
  }
  const logFile = path.join(stateDir, 'logs', 'dockerd.log');
  await fsp.mkdir(path.dirname(logFile), { recursive: true });
  report(`Docker engine: starting dockerd (log: ${logFile})`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  fs.closeSync(out);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await dockerAnswers(docker, 1_000)) {
      report('Docker engine: dockerd is up');
      return docker;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  const log = await fsp.readFile(logFile, 'utf8').catch(() => '');
  throw new ProvisionError(`dockerd did not answer within 60 s; the end of ${logFile}:\n${tail(log)}`);
}

let aptUpdated = false;

/** Debian packages, as root; `apt-get update` once per process. */
export async function aptInstall(packages: string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    const upd = await exec('apt-get', ['update'], { env });
    if (upd.code !== 0) throw new ProvisionError(`apt-get update failed:\n${tail(upd.stderr)}`);
    aptUpdated = true;
  }
  const res = await exec('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env });
  if (res.code !== 0) {
    throw new ProvisionError(
      `apt-get install ${packages.join(' ')} failed:\n${tail(res.stderr || res.stdout)}`,
    );
  }
}
