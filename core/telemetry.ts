import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { histogramBuckets } from '../contracts/metrics';
import type { Env } from './config';
import { ConfigError } from './errors';
import { writeLogEntry } from './logging';

export interface Telemetry {
  /** Where this process serves its Prometheus metrics, e.g. "127.0.0.1:9464"; undefined when off. */
  metricsAddress?: string;
}

let installed: Telemetry | undefined;

/**
 * The Temporal SDK's runtime for this process, once: worker logs at DEVCREW_LOG_LEVEL (default WARN, so
 * a terminal shows progress, not state changes), and Prometheus metrics on DEVCREW_METRICS_HOST:PORT
 * unless DEVCREW_METRICS_PORT=off. The SDK allows one runtime per process; a second call returns the
 * first's answer.
 */
export function installRuntime(
  env: Pick<Env, 'DEVCREW_METRICS_PORT' | 'DEVCREW_METRICS_HOST'> & Partial<Pick<Env, 'DEVCREW_LOG_LEVEL'>>,
): Telemetry {
  if (installed) return installed;
  const level: LogLevel = env.DEVCREW_LOG_LEVEL ?? 'WARN';
  const logger = new DefaultLogger(level, writeLogEntry);
  const port = env.DEVCREW_METRICS_PORT;
  const bindAddress = port === 'off' ? undefined : `${env.DEVCREW_METRICS_HOST}:${port}`;
  try {
    Runtime.install({
      logger,
      ...(bindAddress
        ? {
            telemetryOptions: {
              metrics: {
                // devcrew's metrics carry no prefix; the SDK's own are temporal_*.
                metricPrefix: 'temporal_',
                prometheus: {
                  bindAddress,
                  countersTotalSuffix: true,
                  useSecondsForDurations: true,
                  histogramBucketOverrides: histogramBuckets(),
                },
              },
            },
          }
        : {}),
    });
  } catch (err) {
    const message = (err as Error).message;
    if (/already been (installed|instantiated)/i.test(message)) {
      installed = {}; // a test harness installed one first: no metrics from here
      return installed;
    }
    if (bindAddress && /address|in use|bind/i.test(message)) {
      throw new ConfigError(
        `cannot serve metrics on ${bindAddress} (${message}); set DEVCREW_METRICS_PORT to a free port, or to "off"`,
      );
    }
    throw err;
  }
  installed = bindAddress ? { metricsAddress: bindAddress } : {};
  return installed;
}
