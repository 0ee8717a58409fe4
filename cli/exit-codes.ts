/** Exit codes every devcrew command keeps to. */
export const EXIT = {
  ok: 0,
  /** The content was judged and found wrong (an invalid document, a failed run). */
  invalid: 1,
  /** The command was used wrongly: a missing file, an unknown option value. */
  usage: 2,
} as const;

/** An error that ends a command with a message for a person and a chosen exit code. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
  }
}
