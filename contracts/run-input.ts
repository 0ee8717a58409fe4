import type { RunOptions } from './api';
import type { RunInput } from './run';

/**
 * A run's input as a starter may send it: `options` may be missing (runs started before it had a
 * default, or by a client that sends none). The workflows take this and apply the defaults once.
 */
export type GivenRunInput = Omit<RunInput, 'options'> & { options?: RunOptions | undefined };

/**
 * RunInput's defaults, applied once where a workflow starts (the one default `RunInput` declares:
 * `options` is `{}`), so nothing below repeats `options ?? {}`. No zod here: workflow code imports it.
 */
export function withRunDefaults(input: GivenRunInput): RunInput {
  return { ...input, options: input.options ?? {} };
}
