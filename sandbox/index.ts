/** The sandbox: untrusted code in locked-down Docker containers. Knows nothing of Temporal. */
export {
  createDockerSandbox,
  DEFAULT_LIMITS,
  janitor,
  OWNER_LABEL,
  SANDBOX_LABEL,
  limitProblems,
  type DockerSandbox,
  type SandboxOptions,
  type SandboxStats,
} from './docker-sandbox';
export { SandboxError, unsafePath } from './paths';
export type * from './types';
export { ensureSandboxImage, SANDBOX_USER, sandboxImageTag } from './image';
