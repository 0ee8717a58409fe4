import { inspect } from 'node:util';
import type { LogEntry } from '@temporalio/worker';

/**
 * What the SDK says that is no news to a devcrew user: each worker polls only the queue of its kind, so
 * a workflow-only worker has "no activities" and an activity worker "no workflows" by design.
 */
const EXPECTED = [
  /^No activities registered, not polling for activity tasks$/,
  /^No workflows registered, not polling for workflow tasks$/,
];

/** Whether a log line is one of the SDK's notes that devcrew's design makes expected. */
export const isExpectedNote = (message: string) => EXPECTED.some((re) => re.test(message));

/** One worker log line on stderr (the runtime's logger is set up in core/telemetry.ts). */
export function writeLogEntry(entry: LogEntry): void {
  if (isExpectedNote(entry.message)) return;
  const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = entry.meta === undefined ? '' : ` ${inspect(entry.meta, { breakLength: Infinity, depth: 4 })}`;
  process.stderr.write(`${at} [${entry.level}] ${entry.message}${meta}\n`);
}
