/** The sandbox: untrusted code in locked-down Docker containers. Knows nothing of Temporal. */
export {
  createDockerSandbox,
  DEFAULT_LIMITS,
  janitor,
  OWNER_LABEL,
  SANDBOX_LABEL,
  type SandboxOptions,
} from './docker-sandbox';
export { SandboxError, unsafePath } from './paths';
export type * from './types';
export { ensureSandboxImage, SANDBOX_USER, sandboxImageTag } from './image';
