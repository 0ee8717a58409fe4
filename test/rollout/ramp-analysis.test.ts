import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialRollout, type ModeFigures, type RolloutState, type RunMode } from '../../contracts';
import { analyse, restartPercent } from '../../workflows/ramp';

const T0 = '2026-12-03T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();

function figures(
  mode: RunMode,
  o: Partial<ModeFigures> & { completed: number; failed: number },
): ModeFigures {
  const judged = o.completed + o.failed;
  return {
    mode,
    security_incidents: 0,
    crashes: 0,
    failed_runs: [],
    ended: judged,
    stopped: 0,
    in_flight: 0,
    success_rate: judged ? o.completed / judged : null,
    failure_rate: judged ? o.failed / judged : null,
    median_duration_s: 60,
    p90_duration_s: 90,
    mean_cost_usd: 0,
    mean_fix_iterations: 0,
    window: { from: T0, to: at(3600) },
    ...o,
  };
}

/** A rollout at 25% since T0 with the plan's thresholds, 5 runs and 5 ratings needed, a 1 h bake. */
function rollout(ratings: number[] = [5, 5, 4, 5, 4]): RolloutState {
  const base = initialRollout(T0);
  return {
    ...base,
    percent: 25,
    analysis: { ...base.analysis, min_runs: 5, min_ratings: 5, bake_seconds: 3600 },
    stage_log: [{ percent: 25, started_at: T0, ended_at: null, outcome: null, last_analysis: null }],
    ratings: ratings.map((rating, i) => ({
      run_id: `run-${i}`,
      mode: 'crew' as const,
      rating,
      by: `person-${i}`,
      at: at(60 + i),
    })),
  };
}

const good = () => ({
  crew: figures('crew', { completed: 9, failed: 1, median_duration_s: 100 }),
  'single-agent': figures('single-agent', { completed: 8, failed: 2, median_duration_s: 60 }),
});

test("the plan's criteria held, baked and with enough data: promote to the next stage", () => {
  const r = analyse(rollout(), good(), at(3601));
  assert.equal(r.decision, 'promote', r.reasons.join('; '));
  assert.match(r.reasons[0]!, /25% → 50%/);
  assert.equal(r.time_ratio?.toFixed(2), '1.67');
  assert.equal(r.crew?.mean_rating, 4.6);
});

test('a stage that has not baked holds', () => {
  const r = analyse(rollout(), good(), at(600));
  assert.deepEqual([r.decision, r.criteria], ['hold', ['bake_seconds']]);
});

test('a crew more than 2x slower, or less successful than the single agent, holds', () => {
  const slow = good();
  slow.crew.median_duration_s = 121;
  const r = analyse(rollout(), slow, at(3601));
  assert.deepEqual([r.decision, r.criteria], ['hold', ['max_time_ratio']]);
  const worse = good();
  worse.crew = figures('crew', { completed: 7, failed: 3, median_duration_s: 100 });
  assert.deepEqual(analyse(rollout(), worse, at(3601)).criteria, ['success_rate']);
});

test('a mean rating under 4 holds; complaints over 30% roll back', () => {
  assert.deepEqual(analyse(rollout([4, 4, 3, 4, 4]), good(), at(3601)).criteria, ['min_mean_rating']);
  const r = analyse(rollout([1, 2, 5, 5, 5]), good(), at(3601));
  assert.equal(r.decision, 'rollback');
  assert.match(r.reasons[0]!, /40% of 5 crew ratings are complaints/);
});

test('one high-severity finding shipped by the crew rolls back at once, however little data', () => {
  const figs = good();
  figs.crew = figures('crew', { completed: 1, failed: 0, security_incidents: 1 });
  const r = analyse(rollout([]), figs, at(10));
  assert.equal(r.decision, 'rollback');
  assert.deepEqual(r.criteria, ['security']);
  assert.match(r.reasons[0]!, /1 crew run\(s\) shipped a high-severity security finding/);
});

test('a crew under 70% success with enough runs rolls back; a crash rate over 30% too', () => {
  const figs = good();
  figs.crew = figures('crew', { completed: 3, failed: 3 });
  assert.deepEqual(analyse(rollout(), figs, at(3601)).criteria, ['min_success_rate']);
  figs.crew = figures('crew', { completed: 6, failed: 4, crashes: 4 });
  assert.ok(analyse(rollout(), figs, at(3601)).criteria.includes('stability'));
});

test('ratings of other stages do not count in this one', () => {
  const s = rollout();
  s.ratings = s.ratings.map((r) => ({ ...r, at: '2026-12-01T00:00:00.000Z' }));
  assert.deepEqual(analyse(s, good(), at(3601)).criteria, ['min_ratings']);
});

test('turning the rollout on after a rollback restarts at 5%; a given percent wins', () => {
  const s = { ...rollout(), percent: 0, rolled_back: true };
  assert.equal(restartPercent(s, undefined, true), 5);
  assert.equal(restartPercent(s, 30, true), 30);
  assert.equal(restartPercent({ ...s, rolled_back: false }, undefined, true), 0);
});
