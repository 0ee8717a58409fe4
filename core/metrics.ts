import type { MetricMeter, MetricTags } from '@temporalio/common';
import { METRICS, type MetricDefinition } from '../contracts/metrics';
import { ROLE_LABELS } from '../contracts/roles';

/** The label values devcrew knows up front, so every counter series exists (at 0) before its first event. */
export const KNOWN_LABELS = {
  role: ROLE_LABELS,
  cache: ['hit', 'miss'],
  severity: ['low', 'medium', 'high'],
  tool: ['flake8', 'mypy', 'bandit'],
  sandboxStatus: ['ok', 'failed', 'timeout', 'oom', 'killed', 'output_limit', 'sandbox_error', 'cancelled'],
} as const;

/**
 * What the activities record: model calls and their cost, build findings, coverage, sandbox jobs, step
 * attempts. Built over the SDK's runtime meter by `meterMetrics` (workers/deps.ts) and handed to the
 * activities in their deps; tests hand a recorder of their own.
 */
export interface ActivityMetrics {
  modelCall(call: { role: string; provider: string; cached: boolean; costUsd: number }): void;
  stepAttempt(step: { role: string; attempt: number }): void;
  buildFindings(tool: string, count: number): void;
  securityFindings(severity: string, count: number): void;
  coverage(ratio: number): void;
  sandboxJob(job: { status: string; seconds: number }): void;
}

/**
 * The run counters a workflow records, created at 0 with the tags the SDK's workflow meter adds
 * (namespace, taskQueue, workflowType), so the failure-rate alert sees a worker's first failed run.
 */
export function zeroRunSeries(meter: MetricMeter, queue: { namespace: string; taskQueue: string }): void {
  const runs = meter.createCounter(METRICS.runs.created, METRICS.runs.unit, METRICS.runs.help);
  const kinds = [
    { workflowType: 'developWorkflow', mode: 'crew' },
    { workflowType: 'singleAgentWorkflow', mode: 'single-agent' },
  ];
  for (const kind of kinds)
    for (const status of ['completed', 'failed', 'cancelled', 'rejected'])
      runs.add(0, { ...queue, ...kind, status });
}

/** Dollars as an integer counter (the SDK's counters take integers): micro-dollars. */
export const MICRO_USD = 1_000_000;

/** The activity metrics over an SDK meter, every known counter series created at 0 for `provider`. */
export function meterMetrics(meter: MetricMeter, provider: string): ActivityMetrics {
  const counter = (m: MetricDefinition) => meter.createCounter(m.created, m.unit, m.help);
  const histogram = (m: MetricDefinition) => meter.createHistogram(m.created, 'float', m.unit, m.help);
  const calls = counter(METRICS.modelCalls);
  const costs = histogram(METRICS.modelCost);
  const spend = counter(METRICS.modelSpend);
  const attempts = counter(METRICS.taskAttempts);
  const retries = counter(METRICS.stepRetries);
  const build = counter(METRICS.buildFindings);
  const security = counter(METRICS.securityFindings);
  const coverage = histogram(METRICS.coverage);
  const jobs = counter(METRICS.sandboxJobs);
  const jobSeconds = histogram(METRICS.sandboxJobSeconds);

  // A series that appears with its first event hides that event from increase() and rate(): create
  // each known one at 0, so the rules in deploy/monitoring/ see the first failure too.
  const zero = (c: ReturnType<typeof counter>, tags: MetricTags) => c.add(0, tags);
  for (const role of KNOWN_LABELS.role) {
    zero(attempts, { role });
    zero(retries, { role });
    zero(spend, { role, provider });
    for (const cache of KNOWN_LABELS.cache) zero(calls, { role, provider, cache });
  }
  for (const severity of KNOWN_LABELS.severity) zero(security, { severity });
  for (const tool of KNOWN_LABELS.tool) zero(build, { tool });
  for (const status of KNOWN_LABELS.sandboxStatus) zero(jobs, { status });

  return {
    modelCall({ role, provider: p, cached, costUsd }) {
      calls.add(1, { role, provider: p, cache: cached ? 'hit' : 'miss' });
      if (cached) return;
      costs.record(costUsd, { role, provider: p });
      spend.add(Math.round(costUsd * MICRO_USD), { role, provider: p });
    },
    stepAttempt({ role, attempt }) {
      attempts.add(1, { role });
      if (attempt > 1) retries.add(1, { role });
    },
    buildFindings(tool, count) {
      if (count > 0) build.add(count, { tool });
    },
    securityFindings(severity, count) {
      if (count > 0) security.add(count, { severity });
    },
    coverage(ratio) {
      coverage.record(Math.min(1, Math.max(0, ratio)));
    },
    sandboxJob({ status, seconds }) {
      jobs.add(1, { status });
      jobSeconds.record(seconds);
    },
  };
}
