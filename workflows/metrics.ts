import { metricMeter, workflowInfo } from '@temporalio/workflow';
import type { RunEvent, RunMode, TaskProgress } from '../contracts';
import { METRICS, type MetricDefinition } from '../contracts/metrics';

// The same unit and help wherever a metric is created (the exporter keeps one description per name).
const counter = (m: MetricDefinition) => metricMeter.createCounter(m.created, m.unit, m.help);
const histogram = (m: MetricDefinition) => metricMeter.createHistogram(m.created, 'float', m.unit, m.help);

/**
 * The run's metrics, recorded as its events happen. The SDK's workflow meter drops what is recorded
 * during replay, so a run resumed on another worker counts nothing twice.
 */
export function recordRunEvent(
  event: Pick<RunEvent, 'type' | 'status' | 'task_id'>,
  mode: RunMode,
  tasks: readonly TaskProgress[],
  fixIterations: () => number,
): void {
  if (event.type === 'task_finished' && event.status) {
    const role = tasks.find((t) => t.id === event.task_id)?.agent_role ?? 'unknown';
    counter(METRICS.tasks).add(1, { role, status: event.status });
  } else if (event.type === 'run_finished' && event.status) {
    const status = event.status;
    const seconds = Math.max(0, (Date.now() - workflowInfo().startTime.getTime()) / 1000);
    counter(METRICS.runs).add(1, { mode, status });
    histogram(METRICS.runDuration).record(seconds, { mode, status });
    histogram(METRICS.fixIterations).record(fixIterations(), { mode });
  }
}
