import { DevcrewError } from '../core/errors';

/** Why a path was refused, or undefined when it is a safe relative path inside the work dir. */
export function unsafePath(p: string): string | undefined {
  if (p.length === 0) return 'is empty';
  if (p.includes('\0')) return 'contains a NUL byte';
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p)) return 'is absolute';
  if (p.includes('\\')) return 'contains a backslash';
  const parts = p.split('/');
  if (parts.some((s) => s === '..')) return 'climbs out with ".."';
  if (parts.some((s) => s === '' || s === '.')) return 'has an empty or "." segment';
  return undefined;
}

/** A sandbox failure of its own (not of the code it ran, which is a command status). */
export class SandboxError extends DevcrewError {
  override name = 'SandboxError';
  declare readonly code: SandboxErrorCode;
  constructor(code: SandboxErrorCode, message: string) {
    super(code, message);
  }
}

export type SandboxErrorCode =
  | 'SANDBOX_BAD_INPUT'
  | 'SANDBOX_LIMITS_NOT_APPLIED'
  | 'SANDBOX_ERROR'
  | 'SANDBOX_CANCELLED'
  | 'SANDBOX_UNAVAILABLE';
