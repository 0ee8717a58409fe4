import { inspect } from 'node:util';
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

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

function write(entry: LogEntry): void {
  if (isExpectedNote(entry.message)) return;
  const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = entry.meta === undefined ? '' : ` ${inspect(entry.meta, { breakLength: Infinity, depth: 4 })}`;
  process.stderr.write(`${at} [${entry.level}] ${entry.message}${meta}\n`);
}

/** Worker logs at DEVCREW_LOG_LEVEL (default WARN), so a terminal shows progress, not state changes. */
export function installWorkerLogging(): void {
  const wanted = (process.env.DEVCREW_LOG_LEVEL ?? 'WARN').toUpperCase();
  const level = (LEVELS.includes(wanted) ? wanted : 'WARN') as LogLevel;
  try {
    Runtime.install({ logger: new DefaultLogger(level, write) });
  } catch {
    // already installed in this process
  }
}
