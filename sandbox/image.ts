import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { exec, tail } from '../core/exec';
import { SandboxError } from './paths';

const DOCKERFILE = path.join(__dirname, 'Dockerfile');
export const SANDBOX_REPO = 'devcrew-sandbox';
/** The non-root user the Dockerfile creates; jobs run as it. */
export const SANDBOX_USER = '10001:10001';

/** `devcrew-sandbox:<hash of the Dockerfile and the base image>`: a changed recipe builds a new image. */
export function sandboxImageTag(baseImage: string): string {
  const hash = createHash('sha256')
    .update(fs.readFileSync(DOCKERFILE))
    .update(baseImage)
    .digest('hex')
    .slice(0, 12);
  return `${SANDBOX_REPO}:${hash}`;
}

/** Builds `sandbox/Dockerfile` on the base image unless that exact image is already there. */
export async function ensureSandboxImage(
  docker: Docker,
  baseImage: string,
  report: (line: string) => void,
): Promise<string> {
  const tag = sandboxImageTag(baseImage);
  const present = await docker
    .getImage(tag)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (present) return tag;
  report(`sandbox image: building ${tag} from sandbox/Dockerfile on ${baseImage}`);
  const res = await exec('docker', [
    'build',
    '--build-arg',
    `BASE_IMAGE=${baseImage}`,
    '-t',
    tag,
    '-f',
    DOCKERFILE,
    path.dirname(DOCKERFILE),
  ]);
  if (res.code !== 0)
    throw new SandboxError('SANDBOX_ERROR', `building ${tag} failed:\n${tail(res.stderr || res.stdout)}`);
  return tag;
}
