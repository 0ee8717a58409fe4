import type {
  AnalysisResult,
  JudgedFigures,
  ModeFigures,
  RollbackSnapshot,
  RolloutState,
  RunMode,
  RunRating,
  StageRecord,
} from '../contracts';
import { RESTART_PERCENT } from '../contracts/rollout';

/**
 * The ramp's decisions, as pure functions of the rollout's state and the figures (no Temporal API here,
 * so they are tested directly): the migration plan's criteria for moving to the next stage, and its
 * triggers for rolling back.
 */

/** How many ratings and stages the state carries (the workflow's history holds every one). */
export const RATINGS_KEPT = 500;
const STAGES_KEPT = 50;
const SNAPSHOTS_KEPT = 10;

/** The stage now running: the newest record when it is for the current percent, else a new one from `at`. */
export function currentStage(state: RolloutState, at: string): StageRecord {
  const newest = state.stage_log[0];
  if (newest && newest.ended_at === null && newest.percent === state.percent) return newest;
  return { percent: state.percent, started_at: at, ended_at: null, outcome: null, last_analysis: null };
}

/** The stage log with the running stage's newest analysis (the stage opened if it was not). */
export function withAnalysis(state: RolloutState, analysis: AnalysisResult): StageRecord[] {
  const stage = currentStage(state, analysis.at);
  const rest = state.stage_log[0] === stage ? state.stage_log.slice(1) : state.stage_log;
  return [{ ...stage, last_analysis: analysis }, ...rest].slice(0, STAGES_KEPT);
}

/** The stage log after the percent moved to `percent`: the running stage closed with `outcome`, a new one open. */
export function movedTo(
  state: RolloutState,
  percent: number,
  outcome: NonNullable<StageRecord['outcome']>,
  at: string,
): StageRecord[] {
  const stage = currentStage(state, at);
  const rest = state.stage_log[0] === stage ? state.stage_log.slice(1) : state.stage_log;
  return [
    { percent, started_at: at, ended_at: null, outcome: null, last_analysis: null },
    { ...stage, ended_at: at, outcome },
    ...rest,
  ].slice(0, STAGES_KEPT);
}

/** A rating recorded: one per person and run (a second replaces the first), newest first. */
export function withRating(state: RolloutState, rating: RunRating): RolloutState {
  const others = state.ratings.filter((r) => !(r.run_id === rating.run_id && r.by === rating.by));
  return { ...state, ratings: [rating, ...others].slice(0, RATINGS_KEPT) };
}

/** Ratings of one mode's runs given since `since`. */
export function ratingsSince(state: RolloutState, mode: RunMode, since: string): RunRating[] {
  return state.ratings.filter((r) => r.mode === mode && r.at >= since);
}

function judged(figures: ModeFigures, ratings: RunRating[]): JudgedFigures {
  const total = ratings.reduce((sum, r) => sum + r.rating, 0);
  return {
    ended: figures.completed + figures.failed,
    success_rate: figures.success_rate,
    median_duration_s: figures.median_duration_s,
    security_incidents: figures.security_incidents,
    crashes: figures.crashes,
    ratings: ratings.length,
    mean_rating: ratings.length ? total / ratings.length : null,
    complaint_share: ratings.length ? ratings.filter((r) => r.rating <= 2).length / ratings.length : null,
  };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** The next planned stage above `percent`, or undefined at the last one. */
export function nextStage(state: RolloutState): number | undefined {
  return [...state.stages].sort((a, b) => a - b).find((s) => s > state.percent);
}

/**
 * One analysis of the running stage: roll back on any trigger; promote when every criterion holds with
 * enough data and the stage has baked; otherwise hold, saying what it waits for.
 */
export function analyse(
  state: RolloutState,
  figures: Record<RunMode, ModeFigures>,
  at: string,
): AnalysisResult {
  const a = state.analysis;
  const stage = currentStage(state, at);
  const crew = judged(figures.crew, ratingsSince(state, 'crew', stage.started_at));
  const single = judged(figures['single-agent'], ratingsSince(state, 'single-agent', stage.started_at));
  const baked = Math.max(0, (Date.parse(at) - Date.parse(stage.started_at)) / 1000);
  const ratio =
    crew.median_duration_s !== null && single.median_duration_s
      ? crew.median_duration_s / single.median_duration_s
      : null;
  const result = (decision: AnalysisResult['decision'], found: [string, string][]): AnalysisResult => ({
    at,
    percent: state.percent,
    decision,
    reasons: found.map(([, text]) => text),
    criteria: found.map(([key]) => key),
    crew,
    single_agent: single,
    time_ratio: ratio,
    baked_seconds: Math.round(baked),
  });

  // Triggers: any one rolls back, whatever else holds.
  const triggers: [string, string][] = [];
  if (crew.security_incidents > 0)
    triggers.push([
      'security',
      `${crew.security_incidents} crew run(s) shipped a high-severity security finding or broke a sandbox limit`,
    ]);
  if (crew.ended >= a.min_runs && crew.success_rate !== null && crew.success_rate < a.min_success_rate)
    triggers.push([
      'min_success_rate',
      `crew success rate ${pct(crew.success_rate)} (${figures.crew.completed} of ${crew.ended}) is below ${pct(a.min_success_rate)}`,
    ]);
  if (crew.ended >= a.min_runs && crew.crashes / crew.ended > 1 - a.min_success_rate)
    triggers.push([
      'stability',
      `${crew.crashes} of ${crew.ended} crew runs crashed or timed out (ended by Temporal, not by devcrew)`,
    ]);
  if (
    crew.ratings >= Math.max(1, a.min_ratings) &&
    crew.complaint_share !== null &&
    crew.complaint_share > a.max_complaint_share
  )
    triggers.push([
      'complaints',
      `${pct(crew.complaint_share)} of ${crew.ratings} crew ratings are complaints (1-2), above ${pct(a.max_complaint_share)}`,
    ]);
  if (triggers.length > 0) return result('rollback', triggers);

  // Data first: too little of it holds the stage, whatever the figures say.
  const short: [string, string][] = [];
  if (crew.ended < a.min_runs || single.ended < a.min_runs)
    short.push([
      'min_runs',
      `waiting for runs: crew ${crew.ended}, single agent ${single.ended} of ${a.min_runs} each since the stage began`,
    ]);
  if (crew.ratings < a.min_ratings)
    short.push(['min_ratings', `waiting for ratings: ${crew.ratings} of ${a.min_ratings} crew ratings`]);
  if (baked < a.bake_seconds)
    short.push(['bake_seconds', `baking: ${Math.round(baked)} of ${a.bake_seconds} s at ${state.percent}%`]);
  if (short.length > 0) return result('hold', short);

  const unmet: [string, string][] = [];
  if ((crew.success_rate ?? 0) < (single.success_rate ?? 0))
    unmet.push([
      'success_rate',
      `crew success rate ${pct(crew.success_rate ?? 0)} is below the single agent's ${pct(single.success_rate ?? 0)}`,
    ]);
  if (ratio === null || ratio > a.max_time_ratio)
    unmet.push([
      'max_time_ratio',
      ratio === null
        ? 'no median duration to compare'
        : `crew median ${crew.median_duration_s!.toFixed(1)} s is ${ratio.toFixed(2)}x the single agent's ${single.median_duration_s!.toFixed(1)} s, above ${a.max_time_ratio}x`,
    ]);
  if (a.min_ratings > 0 && (crew.mean_rating ?? 0) < a.min_mean_rating)
    unmet.push([
      'min_mean_rating',
      `crew mean rating ${(crew.mean_rating ?? 0).toFixed(2)} is below ${a.min_mean_rating}`,
    ]);
  if (unmet.length > 0) return result('hold', unmet);

  const next = nextStage(state);
  if (next === undefined) return result('hold', [['last_stage', `at ${state.percent}%, the last stage`]]);
  return result('promote', [
    [
      'all',
      `every criterion held: crew ${pct(crew.success_rate ?? 0)} vs ${pct(single.success_rate ?? 0)} success, time ${ratio!.toFixed(2)}x (max ${a.max_time_ratio}x), mean rating ${crew.mean_rating?.toFixed(2) ?? 'n/a'}, no incident; ${state.percent}% → ${next}%`,
    ],
  ]);
}

/** What a rollback keeps for a person to study: the figures, the failing and complaining runs, the alerts. */
export function snapshotOf(
  state: RolloutState,
  analysis: AnalysisResult,
  figures: Record<RunMode, ModeFigures>,
  alertsFiring: string[],
): RollbackSnapshot[] {
  const stage = currentStage(state, analysis.at);
  const snapshot: RollbackSnapshot = {
    at: analysis.at,
    percent: state.percent,
    reasons: analysis.reasons,
    analysis,
    failing_runs: figures.crew.failed_runs,
    complaining_runs: ratingsSince(state, 'crew', stage.started_at)
      .filter((r) => r.rating <= 2)
      .map((r) => ({ run_id: r.run_id, rating: r.rating, ...(r.comment ? { comment: r.comment } : {}) })),
    alerts_firing: alertsFiring,
  };
  return [snapshot, ...state.snapshots].slice(0, SNAPSHOTS_KEPT);
}

/** The percent a person's "turn it on" means: after a rollback, the ramp starts small again. */
export function restartPercent(
  state: RolloutState,
  requested: number | undefined,
  enabling: boolean,
): number {
  if (requested !== undefined) return requested;
  if (enabling && state.rolled_back) return RESTART_PERCENT;
  return state.percent;
}
