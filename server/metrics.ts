import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { API_METRICS } from '../contracts/metrics';
import type { RolloutState } from '../contracts';

/** A task queue and whether workers poll it, as Temporal answers now. */
export interface QueuePollers {
  task_queue: string;
  kind: string;
  pollers: number;
}

export interface ApiMetricsOptions {
  /** DEVCREW_DAILY_BUDGET_USD: exported so the spend alert compares against it. */
  dailyBudgetUsd: number;
  /** Asked at every scrape: how many workers poll each task queue (Temporal's DescribeTaskQueue). */
  pollers?: () => Promise<QueuePollers[]>;
  /** Asked at every scrape: the rollout's state (the rollout workflow's memo; no worker needed). */
  rollout?: () => Promise<RolloutState>;
}

export interface ApiMetrics {
  registry: Registry;
  /** Counts every request by route (the route's pattern, never a run id), method and status. */
  middleware(req: Request, res: Response, next: NextFunction): void;
}

/**
 * The HTTP API's own Prometheus metrics (prom-client), served on its `/metrics`: requests and latencies
 * by route; and, read from Temporal at each scrape, the pollers of every task queue (an agent kind down)
 * and the rollout's percent; the daily budget the spend alert compares with; Node's process figures.
 */
export function createApiMetrics(options: ApiMetricsOptions): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'devcrew_api_' });
  const requests = new Counter({
    name: API_METRICS.requests,
    help: 'HTTP API requests by route, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: API_METRICS.duration,
    help: 'HTTP API request latency by route and method (an event stream counts until it ends)',
    labelNames: ['route', 'method'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
    registers: [registry],
  });
  new Gauge({
    name: 'devcrew_daily_budget_usd',
    help: 'DEVCREW_DAILY_BUDGET_USD: the spend over 24 hours above which DevcrewSpendOverDailyBudget fires',
    registers: [registry],
    collect() {
      this.set(options.dailyBudgetUsd);
    },
  });
  if (options.pollers) {
    const read = options.pollers;
    new Gauge({
      name: 'devcrew_task_queue_pollers',
      help: 'Workers polling each devcrew task queue, as Temporal answers at scrape time (0: that agent kind is down)',
      labelNames: ['task_queue', 'kind'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        // A queue Temporal cannot describe now is left out rather than reported as 0 pollers.
        for (const q of await read().catch(() => []))
          this.set({ task_queue: q.task_queue, kind: q.kind }, q.pollers);
      },
    });
  }
  if (options.rollout) {
    const read = options.rollout;
    new Gauge({
      name: 'devcrew_rollout_crew_percent',
      help: 'Share of auto runs the rollout sends to the crew now (0 when it is off or rolled back)',
      registers: [registry],
      async collect() {
        const state = await read().catch(() => undefined);
        if (state) this.set(state.enabled ? state.percent : 0);
      },
    });
  }
  return {
    registry,
    middleware(req, res, next) {
      const end = duration.startTimer();
      res.on('close', () => {
        // The route's pattern once Express matched one; otherwise a fixed label, never the raw path.
        const route = req.route
          ? `${req.baseUrl}${String((req.route as { path: string }).path)}`
          : 'unmatched';
        requests.inc({ route, method: req.method, status: String(res.statusCode) });
        end({ route, method: req.method });
      });
      next();
    },
  };
}
