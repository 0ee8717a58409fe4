/**
 * devcrew's own Prometheus metrics, defined once: the workers export them through the Temporal SDK's
 * runtime (workflows and activities record them with the SDK's `metricMeter`), the rules and the
 * dashboards in deploy/monitoring/ query them by these names. Pure data: workflow code imports it.
 *
 * The SDK's Prometheus exporter is run with `countersTotalSuffix`, so a counter created as `devcrew_runs`
 * is exported as `devcrew_runs_total` (and the SDK's own counters as `temporal_..._total`); `exported` is
 * the name to query. Labels never carry a run id: a series per run would grow without end. The SDK adds
 * `namespace`, `task_queue` and `workflow_type`/`activity_type` to what workflows and activities record.
 */
export interface MetricDefinition {
  /** The name Prometheus stores (and rules, dashboards and tests query). */
  readonly exported: string;
  /** The name given to the SDK's meter. */
  readonly created: string;
  readonly kind: 'counter' | 'histogram';
  readonly labels: readonly string[];
  readonly help: string;
  readonly unit?: string;
  /** Histogram bucket bounds. */
  readonly buckets?: readonly number[];
}

const counter = (name: string, labels: string[], help: string): MetricDefinition => ({
  exported: `${name}_total`,
  created: name,
  kind: 'counter',
  labels,
  help,
});

const histogram = (
  name: string,
  labels: string[],
  help: string,
  buckets: number[],
  unit?: string,
): MetricDefinition => ({ exported: name, created: name, kind: 'histogram', labels, help, buckets, unit });

export const METRICS = {
  runs: counter('devcrew_runs', ['mode', 'status'], 'Runs ended, by mode and final status'),
  runDuration: histogram(
    'devcrew_run_duration_seconds',
    ['mode', 'status'],
    'Time from a run start to its end (approval waits included)',
    [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14400],
    's',
  ),
  fixIterations: histogram(
    'devcrew_fix_iterations',
    ['mode'],
    "Repair rounds of an ended run: the crew's Debugger rounds, the single agent's attempts after its first",
    [0, 1, 2, 3, 4, 5, 10],
  ),
  ratings: histogram(
    'devcrew_run_ratings',
    ['mode'],
    "People's ratings of ended runs, 1 (bad) to 5 (great); 1-2 is a complaint",
    [1, 2, 3, 4, 5],
  ),
  tasks: counter(
    'devcrew_tasks',
    ['role', 'status'],
    'Tasks ended, by role and status (completed, failed, rejected, skipped, cancelled)',
  ),
  taskAttempts: counter(
    'devcrew_task_attempts',
    ['role'],
    "Executions of a task's agent steps, Temporal's retries of a step included",
  ),
  stepRetries: counter(
    'devcrew_step_retries',
    ['role'],
    'Executions of an agent step that were a retry (attempt 2 or later): the retry rate is this over devcrew_task_attempts_total',
  ),
  modelCalls: counter(
    'devcrew_model_calls',
    ['role', 'provider', 'cache'],
    'Model calls by role and provider; cache="hit" was answered from the response cache',
  ),
  modelSpend: counter(
    'devcrew_model_cost_microusd',
    ['role', 'provider'],
    'Model spend in millionths of a US dollar, as a counter (created at 0, so increase() over a day is exact): the daily budget alert reads it',
  ),
  modelCost: histogram(
    'devcrew_model_cost_usd',
    ['role', 'provider'],
    'Cost of one model call in US dollars (the _sum is the spend)',
    [0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    'USD',
  ),
  coverage: histogram(
    'devcrew_test_coverage_ratio',
    [],
    'Line coverage of a test run that completed, 0 to 1',
    [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
  ),
  securityFindings: counter(
    'devcrew_security_findings',
    ['severity'],
    "Bandit's findings in generated code, by severity (low, medium, high)",
  ),
  buildFindings: counter(
    'devcrew_build_findings',
    ['tool'],
    'Build check findings by tool (flake8, mypy, bandit); a tool that could not run counts one TOOL_ERROR',
  ),
  sandboxJobs: counter(
    'devcrew_sandbox_jobs',
    ['status'],
    'Sandbox jobs by outcome: ok, or the first command that was not (failed, timeout, oom, killed, output_limit, sandbox_error), or cancelled',
  ),
  sandboxJobSeconds: histogram(
    'devcrew_sandbox_job_seconds',
    [],
    'Wall time of a sandbox job, container start to removal request',
    [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    's',
  ),
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/** Histogram buckets for the SDK exporter (`histogramBucketOverrides`), keyed by created name. */
export function histogramBuckets(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const m of Object.values(METRICS) as MetricDefinition[])
    if (m.kind === 'histogram' && m.buckets) out[m.created] = [...m.buckets];
  return out;
}

/** The HTTP API's own metrics (prom-client, served on the API's `/metrics`). */
export const API_METRICS = {
  requests: 'devcrew_api_requests_total',
  duration: 'devcrew_api_request_duration_seconds',
} as const;
