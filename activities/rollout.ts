import type { Client } from '@temporalio/client';
import type { ModeFigures, RunMode } from '../contracts';
import type { ModeFiguresInput, RolloutActivities } from './types';

/** The search attributes the run workflows set (workflows/search-attributes.ts), by name. */
const ATTR = {
  mode: 'DevcrewMode',
  status: 'DevcrewStatus',
  cost: 'DevcrewCostUsd',
  fix: 'DevcrewFixIterations',
  security: 'DevcrewSecurityIncidents',
} as const;

/** How many ended runs a figure looks at, at most. */
const MAX_RUNS = 2_000;

/** The rollout's activity: figures from visibility, so they survive restarts and need no database. */
export function createRolloutActivities(deps: { client: Client }): RolloutActivities {
  return { modeFigures: (input) => modeFigures(deps.client, input) };
}

/** Both modes' figures over the window (and at least the last `min_runs` ended runs of each). */
export async function modeFigures(
  client: Client,
  input: ModeFiguresInput,
  now = new Date(),
): Promise<Record<RunMode, ModeFigures>> {
  const [crew, single] = await Promise.all(
    (['crew', 'single-agent'] as const).map((mode) => figuresOf(client, mode, input, now)),
  );
  return { crew: crew!, 'single-agent': single! };
}

async function figuresOf(
  client: Client,
  mode: RunMode,
  input: ModeFiguresInput,
  now: Date,
): Promise<ModeFigures> {
  const since = input.since ? new Date(input.since) : undefined;
  const from = since ?? new Date(now.getTime() - input.window_hours * 3_600_000);
  const base = `TaskQueue = '${escape(input.runs_queue)}' AND ${ATTR.mode} = '${mode}'`;
  const ended: {
    id: string;
    status: 'completed' | 'failed' | 'stopped';
    seconds: number;
    cost?: number;
    fix?: number;
    security: number;
    crashed: boolean;
  }[] = [];
  let oldest = now;
  for await (const w of client.workflow.list({ query: `${base} AND ExecutionStatus != 'Running'` })) {
    const closed = w.closeTime ?? now;
    if (closed < from && (since || ended.length >= input.min_runs)) break;
    if (ended.length >= MAX_RUNS) break;
    const attrs = w.searchAttributes as Record<string, unknown[] | undefined>;
    const devcrew = attrs[ATTR.status]?.[0];
    const status =
      devcrew === 'completed' && w.status.name === 'COMPLETED'
        ? 'completed'
        : devcrew === 'cancelled' || devcrew === 'rejected' || w.status.name === 'CANCELLED'
          ? 'stopped'
          : 'failed';
    const cost = attrs[ATTR.cost]?.[0];
    const fix = attrs[ATTR.fix]?.[0];
    const security = attrs[ATTR.security]?.[0];
    ended.push({
      id: w.workflowId,
      status,
      security: typeof security === 'number' ? security : 0,
      // Ended by Temporal, not by the run's own code: terminated, timed out, or failed with no devcrew status.
      crashed:
        w.status.name === 'TERMINATED' ||
        w.status.name === 'TIMED_OUT' ||
        (w.status.name === 'FAILED' && devcrew !== 'failed'),
      seconds: (closed.getTime() - w.startTime.getTime()) / 1000,
      ...(typeof cost === 'number' ? { cost } : {}),
      ...(typeof fix === 'number' ? { fix } : {}),
    });
    if (closed < oldest) oldest = closed;
  }
  let inFlight = 0;
  for await (const _ of client.workflow.list({ query: `${base} AND ExecutionStatus = 'Running'` })) {
    if (++inFlight >= MAX_RUNS) break;
  }
  const completed = ended.filter((r) => r.status === 'completed').length;
  const failed = ended.filter((r) => r.status === 'failed').length;
  const judged = completed + failed;
  const durations = ended.filter((r) => r.status !== 'stopped').map((r) => r.seconds);
  const costs = ended.flatMap((r) => (r.cost === undefined ? [] : [r.cost]));
  const fixes = ended.flatMap((r) => (r.fix === undefined ? [] : [r.fix]));
  return {
    mode,
    security_incidents: ended.filter((r) => r.security > 0).length,
    crashes: ended.filter((r) => r.crashed).length,
    failed_runs: ended
      .filter((r) => r.status === 'failed')
      .slice(0, 20)
      .map((r) => r.id),
    ended: ended.length,
    completed,
    failed,
    stopped: ended.length - judged,
    in_flight: inFlight,
    success_rate: judged ? completed / judged : null,
    failure_rate: judged ? failed / judged : null,
    median_duration_s: quantile(durations, 0.5),
    p90_duration_s: quantile(durations, 0.9),
    mean_cost_usd: mean(costs),
    mean_fix_iterations: mean(fixes),
    window: { from: (oldest < from ? oldest : from).toISOString(), to: now.toISOString() },
  };
}

const escape = (s: string) => s.replace(/'/g, "\\'");

function mean(xs: number[]): number | null {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/** The nearest-rank quantile (p90 of 10 values is the 9th). */
export function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
