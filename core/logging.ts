import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/** Worker logs at DEVCREW_LOG_LEVEL (default WARN), so a terminal shows progress, not state changes. */
export function installWorkerLogging(): void {
  const wanted = (process.env.DEVCREW_LOG_LEVEL ?? 'WARN').toUpperCase();
  const level = (LEVELS.includes(wanted) ? wanted : 'WARN') as LogLevel;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // already installed in this process
  }
}
