import { z } from 'zod';

/**
 * How runs are shared between the two ways devcrew can work: the multi-agent **crew** (plan, gates, a
 * DAG of agents) and the **single agent** baseline (one model writes code and tests, runs them, fixes, up
 * to `max_attempts`). A run's mode is decided once, when it starts, and recorded with it.
 */
export const RunMode = z.enum(['crew', 'single-agent']);
export type RunMode = z.infer<typeof RunMode>;

export const RequestedMode = z
  .enum(['crew', 'single-agent', 'auto'])
  .describe('crew, single-agent, or auto (default): the rollout decides by the run id');
export type RequestedMode = z.infer<typeof RequestedMode>;

/** Why a run got its mode, recorded in its input and result. */
export const ModeDecision = z.strictObject({
  mode: RunMode,
  reason: z.string(),
});
export type ModeDecision = z.infer<typeof ModeDecision>;

export const AutoRollback = z.strictObject({
  enabled: z.boolean().describe('Whether the rollout rolls back by itself when the crew fails too often.'),
  failure_rate_threshold: z
    .number()
    .min(0)
    .max(1)
    .describe('Roll back when the share of ended crew runs that failed is above this (0.2 = 20%).'),
  min_runs: z.number().int().min(1).max(10_000).describe('Ended crew runs needed before the rate counts.'),
  window_hours: z
    .number()
    .positive()
    .max(24 * 90)
    .describe('How far back the figures look.'),
  check_interval_seconds: z.number().int().min(1).max(86_400).describe('How often the rollout checks.'),
});
export type AutoRollback = z.infer<typeof AutoRollback>;

export const RolloutAuditEntry = z.strictObject({
  at: z.string(),
  by: z.string(),
  /** The credential the change was made with (never the credential itself). */
  credential_id: z.string().optional(),
  action: z.enum(['created', 'set', 'rollback', 'auto-rollback']),
  reason: z.string(),
  from: z.strictObject({ enabled: z.boolean(), percent: z.number() }),
  to: z.strictObject({ enabled: z.boolean(), percent: z.number() }),
});
export type RolloutAuditEntry = z.infer<typeof RolloutAuditEntry>;

/** The rollout, as its entity workflow holds it (the Query's answer, mirrored in its memo). */
export const RolloutState = z.strictObject({
  enabled: z.boolean(),
  percent: z.number().int().min(0).max(100),
  /** The planned steps of the ramp, e.g. 10 → 25 → 50 → 75 → 100 (the migration plan's). */
  stages: z.array(z.number().int().min(0).max(100)),
  auto_rollback: AutoRollback,
  updated_at: z.string(),
  /** The newest changes first (the workflow's history holds every one). */
  audit: z.array(RolloutAuditEntry),
  last_check: z
    .strictObject({
      at: z.string(),
      crew_ended: z.number().int().nonnegative(),
      crew_failure_rate: z.number().nullable(),
      outcome: z.enum(['healthy', 'too_few_runs', 'rolled_back', 'already_off']),
    })
    .nullable(),
});
export type RolloutState = z.infer<typeof RolloutState>;

export const DEFAULT_AUTO_ROLLBACK: AutoRollback = {
  enabled: true,
  failure_rate_threshold: 0.2,
  min_runs: 5,
  window_hours: 24,
  check_interval_seconds: 60,
};

/**
 * A new rollout: on, every `auto` run to the crew (devcrew's main way of working), the migration plan's
 * stages on record. An operator who migrates sets a lower percent and ramps up.
 */
export function initialRollout(at: string, autoRollback: AutoRollback = DEFAULT_AUTO_ROLLBACK): RolloutState {
  return {
    enabled: true,
    percent: 100,
    stages: [10, 25, 50, 75, 100],
    auto_rollback: autoRollback,
    updated_at: at,
    audit: [
      {
        at,
        by: 'devcrew',
        action: 'created',
        reason: 'first use',
        from: { enabled: true, percent: 100 },
        to: { enabled: true, percent: 100 },
      },
    ],
    last_check: null,
  };
}

/** Every change says why: it is the audit log's reason. */
const Reason = z
  .string({ error: 'say why (reason), e.g. "crew matched the baseline for a week"' })
  .trim()
  .min(1, 'say why (reason): it is kept in the audit log')
  .max(2000);

/** `PUT /v1/rollout`, `devcrew rollout set`: what to change, who, and why (required). */
export const RolloutChange = z
  .strictObject({
    enabled: z.boolean().optional(),
    percent: z.number().int('percent must be a whole number').min(0).max(100).optional(),
    stages: z.array(z.number().int().min(0).max(100)).max(20).optional(),
    auto_rollback: AutoRollback.partial().optional(),
    reason: Reason,
    /** Set by the API and the CLI from the authenticated caller; a body's own is replaced. */
    by: z.string().trim().min(1).max(200).optional(),
    credential_id: z.string().max(400).optional(),
  })
  .refine(
    (c) =>
      c.enabled !== undefined ||
      c.percent !== undefined ||
      c.stages !== undefined ||
      c.auto_rollback !== undefined,
    { message: 'change at least one of enabled, percent, stages, auto_rollback', path: ['percent'] },
  );
export type RolloutChange = z.infer<typeof RolloutChange>;

/** `POST /v1/rollout/rollback`, `devcrew rollout rollback`: every `auto` run to the single agent at once. */
export const RollbackRequest = z.strictObject({
  reason: Reason,
  by: z.string().trim().min(1).max(200).optional(),
  credential_id: z.string().max(400).optional(),
});
export type RollbackRequest = z.infer<typeof RollbackRequest>;

/** One mode's figures over a window, from Temporal visibility. */
export const ModeFigures = z.strictObject({
  mode: RunMode,
  /** Runs that ended in the window (at least the last `min_runs`, however old). */
  ended: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  /** Cancelled or rejected by a person: not counted in the success rate. */
  stopped: z.number().int().nonnegative(),
  in_flight: z.number().int().nonnegative(),
  /** completed / (completed + failed); null with no such run. */
  success_rate: z.number().nullable(),
  failure_rate: z.number().nullable(),
  median_duration_s: z.number().nullable(),
  p90_duration_s: z.number().nullable(),
  mean_cost_usd: z.number().nullable(),
  mean_fix_iterations: z.number().nullable(),
  window: z.strictObject({ from: z.string(), to: z.string() }),
});
export type ModeFigures = z.infer<typeof ModeFigures>;

/** `GET /v1/rollout`: the state and both modes' figures. */
export const RolloutView = z.strictObject({
  state: RolloutState,
  figures: z.strictObject({ crew: ModeFigures, 'single-agent': ModeFigures }),
});
export type RolloutView = z.infer<typeof RolloutView>;

/**
 * A stable bucket 0-99 for a run id (FNV-1a): the same run id always lands in the same bucket, on every
 * machine and in every version, so a run's mode can be recomputed and audited.
 */
export function bucketOf(runId: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(runId)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100;
}

/**
 * The mode of a run: an explicit mode wins; `auto` asks the rollout. Flag off means single agent;
 * otherwise a bucket below `percent` is crew. Raising the percent only adds buckets, so a run id that was
 * crew stays crew (a monotone ramp).
 */
export function decideMode(
  requested: RequestedMode,
  rollout: RolloutState | undefined,
  runId: string,
): ModeDecision {
  if (requested !== 'auto') return { mode: requested, reason: `asked for ${requested}` };
  if (!rollout) throw new Error('an auto mode needs the rollout state');
  if (!rollout.enabled) return { mode: 'single-agent', reason: 'rollout disabled' };
  const bucket = bucketOf(runId);
  return bucket < rollout.percent
    ? { mode: 'crew', reason: `rollout ${rollout.percent}%: bucket ${bucket} < ${rollout.percent}` }
    : { mode: 'single-agent', reason: `rollout ${rollout.percent}%: bucket ${bucket} >= ${rollout.percent}` };
}
