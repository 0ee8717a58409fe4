import type { NotifiedAlert, RolloutView, RunMode, RunSummary } from '../contracts';
import type { RolloutService } from './rollout-service';
import type { RunsService } from './runs-service';

/** How far back the dashboard's timeline looks, and its bucket. */
const TIMELINE_HOURS = 24;
const BUCKET_MINUTES = 60;

export interface DashboardSources {
  runs: RunsService;
  rollout: RolloutService;
  /** Prometheus's base URL when `devcrew up --monitoring` runs it. */
  prometheusUrl?: string | undefined;
  /** Alerts Alertmanager told the API about (POST /v1/alerts). */
  notifiedAlerts?: () => NotifiedAlert[];
  webUiUrl?: string;
  namespace: string;
}

export interface TimelineBucket {
  start: string;
  /** Per mode: runs that ended in this bucket, completed or failed. */
  modes: Record<RunMode, { completed: number; failed: number }>;
}

export interface PrometheusFigures {
  url: string;
  /** false when Prometheus did not answer; `error` says why. */
  up: boolean;
  error?: string;
  /** Since the workers started, from their counters: dollars by agent role. */
  cost_by_role: Record<string, number>;
  model_calls_by_role: Record<string, number>;
  /** Mean line coverage of the test runs that reported it (0 to 1), and how many did. */
  coverage: { mean: number | null; samples: number };
  security_findings: Record<string, number>;
  build_findings: Record<string, number>;
  sandbox_jobs: Record<string, number>;
  /** The local model server (llama.cpp's own metrics), when Prometheus scrapes one; null otherwise. */
  model_server: {
    generation_tps: number;
    prompt_tps: number;
    requests_processing: number;
    requests_deferred: number;
  } | null;
}

export interface DashboardAlert {
  alertname: string;
  state: string;
  labels: Record<string, string>;
  summary: string;
  since: string | null;
  source: 'prometheus' | 'alertmanager webhook';
}

/** `GET /v1/dashboard`: everything `/dashboard` draws, in one answer. */
export interface DashboardData {
  generated_at: string;
  rollout: RolloutView;
  timeline: { hours: number; bucket_minutes: number; buckets: TimelineBucket[] };
  /** Ended runs' durations in seconds, per mode (newest 500 runs). */
  durations: Record<RunMode, number[]>;
  runs: (RunSummary & { web_ui: string | null })[];
  prometheus: PrometheusFigures | null;
  alerts: DashboardAlert[];
}

/**
 * The dashboard's figures: the rollout and the per-mode figures and runs from Temporal visibility
 * (durable, there whenever Temporal is), and, when Prometheus runs, what only the metrics know (cost by
 * role, coverage, findings, sandbox jobs) and its active alerts.
 */
export async function dashboardData(src: DashboardSources, now = new Date()): Promise<DashboardData> {
  const [rollout, listed, prometheus] = await Promise.all([
    src.rollout.view(),
    src.runs.list({ limit: 500 }),
    src.prometheusUrl ? prometheusFigures(src.prometheusUrl) : Promise.resolve(null),
  ]);
  const from = now.getTime() - TIMELINE_HOURS * 3_600_000;
  const start = Math.floor(from / (BUCKET_MINUTES * 60_000)) * BUCKET_MINUTES * 60_000;
  const buckets: TimelineBucket[] = [];
  for (let t = start; t <= now.getTime(); t += BUCKET_MINUTES * 60_000) {
    buckets.push({
      start: new Date(t).toISOString(),
      modes: { crew: { completed: 0, failed: 0 }, 'single-agent': { completed: 0, failed: 0 } },
    });
  }
  const durations: Record<RunMode, number[]> = { crew: [], 'single-agent': [] };
  for (const r of listed) {
    if (!r.mode || !r.closed_at) continue;
    const closed = Date.parse(r.closed_at);
    if (r.status === 'completed' || r.status === 'failed') {
      durations[r.mode].push(Math.round((closed - Date.parse(r.started_at)) / 100) / 10);
      const i = Math.floor((closed - start) / (BUCKET_MINUTES * 60_000));
      if (i >= 0 && i < buckets.length) buckets[i]!.modes[r.mode][r.status]++;
    }
  }
  const alerts: DashboardAlert[] = [];
  if (prometheus?.up) alerts.push(...(await prometheusAlerts(prometheus.url).catch(() => [])));
  if (alerts.length === 0) {
    for (const a of src.notifiedAlerts?.() ?? []) {
      if (a.status !== 'firing') continue;
      alerts.push({
        alertname: a.alertname,
        state: 'firing',
        labels: a.labels,
        summary: a.summary,
        since: a.starts_at,
        source: 'alertmanager webhook',
      });
    }
  }
  const webUi = (id: string) =>
    src.webUiUrl ? `${src.webUiUrl}/namespaces/${src.namespace}/workflows/${encodeURIComponent(id)}` : null;
  return {
    generated_at: now.toISOString(),
    rollout,
    timeline: { hours: TIMELINE_HOURS, bucket_minutes: BUCKET_MINUTES, buckets },
    durations,
    runs: listed.slice(0, 20).map((r) => ({ ...r, web_ui: webUi(r.run_id) })),
    prometheus,
    alerts,
  };
}

/** The PromQL behind each Prometheus figure (also in deploy/monitoring/grafana-dashboard.json). */
export const DASHBOARD_QUERIES = {
  cost_by_role: 'sum by (role) (devcrew_model_cost_microusd_total) / 1e6',
  model_calls_by_role: 'sum by (role) (devcrew_model_calls_total)',
  coverage_sum: 'sum(devcrew_test_coverage_ratio_sum)',
  coverage_count: 'sum(devcrew_test_coverage_ratio_count)',
  security_findings: 'sum by (severity) (devcrew_security_findings_total)',
  build_findings: 'sum by (tool) (devcrew_build_findings_total)',
  sandbox_jobs: 'sum by (status) (devcrew_sandbox_jobs_total)',
  model_generation_tps: 'sum(llamacpp:predicted_tokens_seconds)',
  model_prompt_tps: 'sum(llamacpp:prompt_tokens_seconds)',
  model_requests_processing: 'sum(llamacpp:requests_processing)',
  model_requests_deferred: 'sum(llamacpp:requests_deferred)',
} as const;

type Vector = { metric: Record<string, string>; value: [number, string] }[];

async function instant(url: string, query: string): Promise<Vector> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`, {
    signal: AbortSignal.timeout(3_000),
  });
  const body = (await res.json()) as { status: string; error?: string; data?: { result: Vector } };
  if (body.status !== 'success')
    throw new Error(`Prometheus refused "${query}": ${body.error ?? res.status}`);
  return body.data?.result ?? [];
}

const byLabel = (v: Vector, label: string) =>
  Object.fromEntries(v.map((s) => [s.metric[label] ?? '', Number(s.value[1])]));
const scalar = (v: Vector) => (v[0] ? Number(v[0].value[1]) : 0);

async function prometheusFigures(url: string): Promise<PrometheusFigures> {
  const q = DASHBOARD_QUERIES;
  try {
    const [cost, calls, covSum, covCount, security, build, jobs, gen, prompt, busy, deferred] =
      await Promise.all([
        instant(url, q.cost_by_role),
        instant(url, q.model_calls_by_role),
        instant(url, q.coverage_sum),
        instant(url, q.coverage_count),
        instant(url, q.security_findings),
        instant(url, q.build_findings),
        instant(url, q.sandbox_jobs),
        instant(url, q.model_generation_tps),
        instant(url, q.model_prompt_tps),
        instant(url, q.model_requests_processing),
        instant(url, q.model_requests_deferred),
      ]);
    const samples = scalar(covCount);
    return {
      url,
      up: true,
      cost_by_role: byLabel(cost, 'role'),
      model_calls_by_role: byLabel(calls, 'role'),
      coverage: { mean: samples > 0 ? scalar(covSum) / samples : null, samples },
      security_findings: byLabel(security, 'severity'),
      build_findings: byLabel(build, 'tool'),
      sandbox_jobs: byLabel(jobs, 'status'),
      model_server:
        gen.length > 0
          ? {
              generation_tps: scalar(gen),
              prompt_tps: scalar(prompt),
              requests_processing: scalar(busy),
              requests_deferred: scalar(deferred),
            }
          : null,
    };
  } catch (err) {
    return {
      url,
      up: false,
      error: (err as Error).message,
      cost_by_role: {},
      model_calls_by_role: {},
      coverage: { mean: null, samples: 0 },
      security_findings: {},
      build_findings: {},
      sandbox_jobs: {},
      model_server: null,
    };
  }
}

async function prometheusAlerts(url: string): Promise<DashboardAlert[]> {
  const res = await fetch(`${url}/api/v1/alerts`, { signal: AbortSignal.timeout(3_000) });
  const body = (await res.json()) as {
    data?: {
      alerts: {
        labels: Record<string, string>;
        annotations: Record<string, string>;
        state: string;
        activeAt?: string;
      }[];
    };
  };
  return (body.data?.alerts ?? []).map((a) => ({
    alertname: a.labels.alertname ?? '',
    state: a.state,
    labels: a.labels,
    summary: a.annotations.summary ?? '',
    since: a.activeAt ?? null,
    source: 'prometheus' as const,
  }));
}
