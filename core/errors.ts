import { codedMessage, ERROR_CODES, type ErrorCode, type ErrorFields } from '../contracts/error-codes';

/**
 * The base of every error devcrew raises on purpose: a code from the catalogue (contracts/error-codes.ts),
 * the evidence, and a hint for what to do: `[SANDBOX_TIMEOUT] tests ran 300 s (limit 300 s); raise ...`.
 * Whether it is retryable and which HTTP status it maps to come from the catalogue, never from the
 * place that throws it. The ids it is about (run, task, gate, report, commit) go in `fields`, typed.
 * Pure (no Node imports): workflow code builds its failures from it too (workflows/failures.ts).
 */
export class DevcrewError extends Error {
  override name = 'DevcrewError';
  constructor(
    readonly code: ErrorCode,
    readonly evidence: string,
    readonly hint?: string,
    readonly extra: {
      /** When the cause said how long to wait (Retry-After). */
      retryAfterMs?: number;
      /** The ids the error is about; they travel as the failure's first detail. */
      fields?: ErrorFields;
      /** Structured evidence (problems, findings) that travels as the failure's second detail. */
      details?: unknown;
      cause?: unknown;
    } = {},
  ) {
    super(
      codedMessage(code, hint ? `${evidence}; ${hint}` : evidence),
      extra.cause ? { cause: extra.cause } : undefined,
    );
  }

  get fields(): ErrorFields {
    return this.extra.fields ?? {};
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }
}

export function isDevcrewError(err: unknown, code?: ErrorCode): err is DevcrewError {
  return err instanceof DevcrewError && (code === undefined || err.code === code);
}

/** A bad setting: names the variable and what it expects. */
export class ConfigError extends DevcrewError {
  override name = 'ConfigError';
  constructor(evidence: string, hint?: string) {
    super('INVALID_CONFIG', evidence, hint);
  }
}

/** A part devcrew runs on (Temporal CLI, Docker, an image, Chromium) could not be installed or started. */
export class ProvisionError extends DevcrewError {
  override name = 'ProvisionError';
  constructor(evidence: string, hint?: string) {
    super('PROVISION_FAILED', evidence, hint);
  }
}
