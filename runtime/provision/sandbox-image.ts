import { readEnv } from '../../core/config';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { exec, findOnPath, tail } from '../../core/exec';
import { aptInstall } from './docker-engine';
import { ProvisionError } from '../../core/errors';
import type { Report } from '../../core/report';

/**
 * What the sandbox base image holds. Its hash is part of the tag, so changing this recipe builds a new
 * image instead of silently reusing the old one.
 */
export const BASE_IMAGE_RECIPE = {
  /** Used where an image registry answers. */
  pull: {
    from: 'python:3.11-slim',
    pip: ['pytest', 'pytest-cov', 'flake8', 'mypy', 'bandit', 'numpy', 'pandas'],
  },
  /** Used offline: Debian's own packages, through debootstrap. */
  debootstrap: {
    suite: 'bookworm',
    variant: 'minbase',
    packages: [
      'python3',
      'python3-pytest',
      'python3-pytest-cov',
      'flake8',
      'mypy',
      'bandit',
      'python3-numpy',
      'python3-pandas',
    ],
  },
} as const;

export const BASE_IMAGE_REPO = 'devcrew-sandbox-base';

export function recipeTag(recipe: unknown): string {
  const hash = createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 12);
  return `${BASE_IMAGE_REPO}:${hash}`;
}

export function baseImageTag(): string {
  return recipeTag(BASE_IMAGE_RECIPE);
}

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

/** The sandbox base image: local if present, else built on a pulled python image, else built offline. */
export async function ensureSandboxBaseImage(
  docker: Docker,
  options: { pull: 'auto' | 'never'; report: Report },
): Promise<string> {
  const tag = baseImageTag();
  if (await imageExists(docker, tag)) {
    options.report(`sandbox base image: ${tag} is present`);
    return tag;
  }
  const started = Date.now();
  if (options.pull === 'auto' && (await tryPull(docker, BASE_IMAGE_RECIPE.pull.from))) {
    options.report(`sandbox base image: building ${tag} on ${BASE_IMAGE_RECIPE.pull.from}`);
    await buildOnPulled(tag);
  } else {
    options.report(`sandbox base image: no registry answers; building ${tag} offline from Debian packages`);
    await buildWithDebootstrap(tag, options.report);
  }
  options.report(`sandbox base image: ${tag} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return tag;
}

async function tryPull(docker: Docker, ref: string): Promise<boolean> {
  try {
    const stream = await docker.pull(ref);
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())),
    );
    return true;
  } catch {
    return false;
  }
}

async function buildOnPulled(tag: string): Promise<void> {
  const { from, pip } = BASE_IMAGE_RECIPE.pull;
  const dockerfile = `FROM ${from}\nRUN pip install --no-cache-dir ${pip.join(' ')}\n`;
  const res = await exec('docker', ['build', '-t', tag, '-'], { input: dockerfile });
  if (res.code !== 0)
    throw new ProvisionError(`docker build of ${tag} failed:\n${tail(res.stderr || res.stdout)}`);
}

async function buildWithDebootstrap(tag: string, report: Report): Promise<void> {
  if (!(await findOnPath('debootstrap'))) {
    if (process.getuid?.() !== 0 || !fs.existsSync('/etc/debian_version')) {
      throw new ProvisionError(
        'the sandbox base image cannot be built: no image registry answers and debootstrap is missing.\n' +
          '  Install debootstrap (Debian/Ubuntu: `apt-get install debootstrap`) or load an image tagged ' +
          `${tag} with \`docker load\`.`,
      );
    }
    report('sandbox base image: installing debootstrap');
    await aptInstall(['debootstrap']);
  }
  const { suite, variant, packages } = BASE_IMAGE_RECIPE.debootstrap;
  const mirror = readEnv().DEVCREW_DEBIAN_MIRROR ?? (await debianMirror());
  const rootfs = await fsp.mkdtemp(path.join(os.tmpdir(), 'devcrew-rootfs-'));
  try {
    const boot = await exec('debootstrap', [
      `--variant=${variant}`,
      `--include=${packages.join(',')}`,
      suite,
      rootfs,
      mirror,
    ]);
    if (boot.code !== 0) {
      throw new ProvisionError(`debootstrap from ${mirror} failed:\n${tail(boot.stderr || boot.stdout)}`);
    }
    await fsp.rm(path.join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    await fsp.mkdir(path.join(rootfs, 'var/cache/apt/archives/partial'), { recursive: true });
    const imp = await exec('sh', ['-c', 'tar -C "$1" -c . | docker import - "$2"', 'sh', rootfs, tag]);
    if (imp.code !== 0) throw new ProvisionError(`docker import of ${tag} failed:\n${tail(imp.stderr)}`);
  } finally {
    await fsp.rm(rootfs, { recursive: true, force: true });
  }
}

/** The Debian mirror this machine's apt uses (deb822 `.sources` or one-line `sources.list`). */
export async function debianMirror(): Promise<string> {
  const files = ['/etc/apt/sources.list'];
  const dir = '/etc/apt/sources.list.d';
  if (fs.existsSync(dir)) files.push(...(await fsp.readdir(dir)).map((f) => path.join(dir, f)));
  for (const file of files) {
    const text = await fsp.readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const deb822 = /^URIs:\s*(\S+)/.exec(line);
      const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/.exec(line);
      const uri = deb822?.[1] ?? oneLine?.[1];
      if (uri && !uri.includes('security')) return uri;
    }
  }
  return 'http://deb.debian.org/debian';
}
