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

/**
 * The ramp's analysis (the migration plan's criteria, checked the way progressive-delivery tools check a
 * canary): at each stage, on its timer, both modes' figures since the stage began decide promote, hold
 * or roll back.
 */
export const Analysis = z.strictObject({
  enabled: z
    .boolean()
    .describe('Whether the ramp moves by itself; false pauses it (manual changes still work).'),
  check_seconds: z.number().int().min(1).max(86_400).describe('How often the analysis runs.'),
  bake_seconds: z
    .number()
    .int()
    .min(0)
    .max(90 * 86_400)
    .describe('How long a stage runs before it may be promoted.'),
  min_runs: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .describe('Ended runs of each mode since the stage began, before a promotion.'),
  min_ratings: z
    .number()
    .int()
    .min(0)
    .max(10_000)
    .describe('Ratings of crew runs since the stage began, before a promotion.'),
  max_time_ratio: z
    .number()
    .positive()
    .max(100)
    .describe("Promote only if the crew's median duration is at most this times the single agent's (2)."),
  min_mean_rating: z
    .number()
    .min(1)
    .max(5)
    .describe("Promote only if the crew's mean rating is at least this (4 of 5)."),
  min_success_rate: z
    .number()
    .min(0)
    .max(1)
    .describe("Roll back when the crew's success rate is below this with min_runs ended (0.7)."),
  max_complaint_share: z
    .number()
    .min(0)
    .max(1)
    .describe('Roll back when more than this share of the crew ratings are complaints (1-2) (0.3).'),
});
export type Analysis = z.infer<typeof Analysis>;

export const DEFAULT_ANALYSIS: Analysis = {
  enabled: true,
  check_seconds: 300,
  bake_seconds: 86_400,
  min_runs: 20,
  min_ratings: 5,
  max_time_ratio: 2,
  min_mean_rating: 4,
  min_success_rate: 0.7,
  max_complaint_share: 0.3,
};

/** The stage after a rollback, when a person turns the rollout on again: start small (the migration plan). */
export const RESTART_PERCENT = 5;

/** One mode's figures as the analysis judged them. */
export const JudgedFigures = z.strictObject({
  ended: z.number().int().nonnegative(),
  success_rate: z.number().nullable(),
  median_duration_s: z.number().nullable(),
  security_incidents: z.number().int().nonnegative(),
  crashes: z.number().int().nonnegative(),
  ratings: z.number().int().nonnegative(),
  mean_rating: z.number().nullable(),
  complaint_share: z.number().nullable(),
});
export type JudgedFigures = z.infer<typeof JudgedFigures>;

/** One analysis: what it saw and what it decided. */
export const AnalysisResult = z.strictObject({
  at: z.string(),
  percent: z.number().int().min(0).max(100),
  decision: z.enum(['promote', 'hold', 'rollback', 'paused', 'check_failed']),
  /** Why, in a person's words: the criteria that failed or held, or that all held. */
  reasons: z.array(z.string()),
  /** The criteria that held the stage or rolled it back, by name (e.g. "min_runs", "max_time_ratio"). */
  criteria: z.array(z.string()),
  crew: JudgedFigures.nullable(),
  single_agent: JudgedFigures.nullable(),
  time_ratio: z.number().nullable(),
  baked_seconds: z.number().nonnegative(),
});
export type AnalysisResult = z.infer<typeof AnalysisResult>;

/** A stage of the ramp as it ran: the dashboard's timeline. */
export const StageRecord = z.strictObject({
  percent: z.number().int().min(0).max(100),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  /** How it ended: promoted, rolled back, changed by a person; null while it runs. */
  outcome: z.enum(['promoted', 'rolled_back', 'changed']).nullable(),
  last_analysis: AnalysisResult.nullable(),
});
export type StageRecord = z.infer<typeof StageRecord>;

/** A person's rating of an ended run: 1-5, 1-2 is a complaint. */
export const RunRating = z.strictObject({
  run_id: z.string().min(1),
  mode: RunMode,
  rating: z.number().int().min(1).max(5),
  comment: z.string().max(2000).optional(),
  by: z.string().min(1).max(200),
  /** The credential the rating was given with (never the credential itself). */
  credential_id: z.string().max(400).optional(),
  at: z.string(),
});
export type RunRating = z.infer<typeof RunRating>;

/** `POST /v1/runs/{id}/feedback`, `devcrew rate`. */
export const FeedbackRequest = z.strictObject({
  rating: z
    .number({ error: 'rating must be a whole number from 1 (bad) to 5 (great)' })
    .int('rating must be a whole number from 1 (bad) to 5 (great)')
    .min(1, 'rating must be a whole number from 1 (bad) to 5 (great)')
    .max(5, 'rating must be a whole number from 1 (bad) to 5 (great)'),
  comment: z.string().trim().max(2000, 'keep the comment under 2000 characters').optional(),
  by: z.string().trim().min(1).max(200).optional(),
});
export type FeedbackRequest = z.infer<typeof FeedbackRequest>;

/** What the analysis kept when it rolled back: for a person to find and study. */
export const RollbackSnapshot = z.strictObject({
  at: z.string(),
  percent: z.number().int(),
  reasons: z.array(z.string()),
  analysis: AnalysisResult,
  failing_runs: z.array(z.string()),
  complaining_runs: z.array(
    z.strictObject({ run_id: z.string(), rating: z.number(), comment: z.string().optional() }),
  ),
  alerts_firing: z.array(z.string()),
});
export type RollbackSnapshot = z.infer<typeof RollbackSnapshot>;

export const RolloutAuditEntry = z.strictObject({
  at: z.string(),
  by: z.string(),
  /** The credential the change was made with (never the credential itself). */
  credential_id: z.string().optional(),
  action: z.enum(['created', 'set', 'rollback', 'auto-rollback', 'promote', 'hold']),
  reason: z.string(),
  from: z.strictObject({ enabled: z.boolean(), percent: z.number() }),
  to: z.strictObject({ enabled: z.boolean(), percent: z.number() }),
  /** The analysis behind a promote, hold or rollback by the ramp. */
  analysis: AnalysisResult.optional(),
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
      outcome: z.enum(['healthy', 'too_few_runs', 'rolled_back', 'already_off', 'check_failed']),
      /** check_failed: why the figures could not be read (the rollout keeps its percent and checks again). */
      error: z.string().optional(),
    })
    .nullable(),
  analysis: Analysis.default(DEFAULT_ANALYSIS),
  /** The stages as they ran, newest first (the timeline). */
  stage_log: z.array(StageRecord).default([]),
  /** The ratings people gave, newest first (the newest RATINGS_KEPT; one per person and run). */
  ratings: z.array(RunRating).default([]),
  /** Set by a rollback; the next time a person turns the rollout on, it starts at RESTART_PERCENT. */
  rolled_back: z.boolean().default(false),
  /** The alerts Alertmanager last said are firing (via the API's webhook), kept for a rollback's snapshot. */
  alerts_firing: z.array(z.string()).default([]),
  /** What each rollback by the analysis kept, newest first. */
  snapshots: z.array(RollbackSnapshot).default([]),
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
    analysis: DEFAULT_ANALYSIS,
    stage_log: [],
    ratings: [],
    rolled_back: false,
    alerts_firing: [],
    snapshots: [],
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
    analysis: Analysis.partial().optional(),
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
      c.auto_rollback !== undefined ||
      c.analysis !== undefined,
    {
      message: 'change at least one of enabled, percent, stages, auto_rollback, analysis',
      path: ['percent'],
    },
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
  /** Runs whose code carried a high-severity security finding, or that broke a sandbox limit. */
  security_incidents: z.number().int().nonnegative().default(0),
  /** Runs Temporal ended without the run's own code (terminated, timed out, failed by a bug). */
  crashes: z.number().int().nonnegative().default(0),
  /** The run ids that failed (newest first, at most 20): for a rollback's snapshot. */
  failed_runs: z.array(z.string()).default([]),
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
