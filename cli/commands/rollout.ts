import type { Command } from 'commander';
import type { Action, RolloutState, RolloutView } from '../../contracts';
import { FeedbackRequest, RollbackRequest, RolloutChange, zodErrorText } from '../../contracts';
import { rateRun } from '../../server/feedback';
import { DevcrewError } from '../../core/errors';
import { CliError, EXIT } from '../exit-codes';
import { connectRuns } from '../temporal-access';

/**
 * `devcrew rollout [status|set <percent>|rollback] [-m reason]`: read the rollout and both modes'
 * figures, move traffic, or roll back at once. The same service as `GET/PUT /v1/rollout`.
 */
export function registerRollout(program: Command): void {
  const rollout = program
    .command('rollout')
    .description('the share of `auto` runs that go to the crew (the rest to the single agent), and rollback');
  rollout
    .command('status', { isDefault: true })
    .description("the rollout's state and both modes' figures (from Temporal visibility)")
    .option('--json', 'print the state and figures as JSON')
    .action(async (o: { json?: boolean }) => {
      const view = await withRollout('read', (r) => r.view());
      process.stdout.write(o.json ? `${JSON.stringify(view, null, 2)}\n` : `${describe(view)}\n`);
    });
  rollout
    .command('set')
    .description('change the share of `auto` runs sent to the crew')
    .argument('[percent]', '0-100')
    .option('-m, --reason <text>', 'why (required, kept in the audit log)')
    .option('--enable', 'turn the rollout on')
    .option('--disable', 'turn it off: every `auto` run to the single agent')
    .option('--analysis <on|off>', 'the ramp moves by itself (on) or is paused (off)')
    .option('--check-seconds <n>', 'how often the analysis runs')
    .option('--bake-seconds <n>', 'how long a stage runs before it may be promoted')
    .option('--min-runs <n>', 'ended runs of each mode a stage needs before a promotion')
    .option('--min-ratings <n>', 'crew ratings a stage needs before a promotion')
    .option('--max-time-ratio <x>', "crew median duration at most this times the single agent's")
    .option('--min-mean-rating <x>', 'crew mean rating at least this (1-5)')
    .action(
      async (
        percent: string | undefined,
        o: {
          reason?: string;
          enable?: boolean;
          disable?: boolean;
          analysis?: string;
          checkSeconds?: string;
          bakeSeconds?: string;
          minRuns?: string;
          minRatings?: string;
          maxTimeRatio?: string;
          minMeanRating?: string;
        },
      ) => {
        if (o.enable && o.disable) throw new CliError('give --enable or --disable, not both');
        if (o.analysis !== undefined && !['on', 'off'].includes(o.analysis))
          throw new CliError(`--analysis takes on or off, not "${o.analysis}"`);
        const numbers = {
          check_seconds: o.checkSeconds,
          bake_seconds: o.bakeSeconds,
          min_runs: o.minRuns,
          min_ratings: o.minRatings,
          max_time_ratio: o.maxTimeRatio,
          min_mean_rating: o.minMeanRating,
        };
        const analysis = {
          ...(o.analysis ? { enabled: o.analysis === 'on' } : {}),
          ...Object.fromEntries(
            Object.entries(numbers)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => [k, Number(v)]),
          ),
        };
        const change = RolloutChange.safeParse({
          ...(percent !== undefined ? { percent: Number(percent) } : {}),
          ...(o.enable ? { enabled: true } : o.disable ? { enabled: false } : {}),
          ...(Object.keys(analysis).length > 0 ? { analysis } : {}),
          reason: o.reason ?? '',
        });
        if (!change.success) {
          throw new CliError(
            `the change was refused:\n${zodErrorText(change.error)}\n` +
              'e.g. devcrew rollout set 25 -m "crew matched the baseline for a week"',
          );
        }
        const state = await withRollout('rollout', (r, by) => r.change({ ...change.data, ...by }));
        process.stdout.write(`${line(state)}\n`);
      },
    );
  rollout
    .command('rollback')
    .description('every `auto` run to the single agent at once (runs in flight keep their mode)')
    .option('-m, --reason <text>', 'why (required, kept in the audit log)')
    .action(async (o: { reason?: string }) => {
      const request = RollbackRequest.safeParse({ reason: o.reason ?? '' });
      if (!request.success)
        throw new CliError('say why: devcrew rollout rollback -m "crew failing tests since 10:00"');
      const { applied, state } = await withRollout('rollout', (r, by) =>
        r.rollback({ ...request.data, ...by }),
      );
      process.stdout.write(
        applied
          ? `rolled back. ${line(state)}\n`
          : 'rollback recorded; it applies when a runs worker is back\n',
      );
    });
}

/** `devcrew rate <run> <1-5> [-m comment]`: a person's rating of an ended run, read by the ramp. */
export function registerRate(program: Command): void {
  program
    .command('rate')
    .description('rate an ended run 1 (bad) to 5 (great); 1-2 is a complaint. The rollout weighs it')
    .argument('<run>', 'the run id')
    .argument('<rating>', '1-5')
    .option('-m, --comment <text>', 'what was good or bad')
    .option('--as <name>', 'whose rating it is (only with DEVCREW_API_TOKEN or no identity configured)')
    .action(async (runId: string, value: string, o: { comment?: string; as?: string }) => {
      const feedback = FeedbackRequest.safeParse({
        rating: Number(value),
        ...(o.comment !== undefined ? { comment: o.comment } : {}),
        ...(o.as ? { by: o.as } : {}),
      });
      if (!feedback.success)
        throw new CliError(
          `the rating was refused:\n${zodErrorText(feedback.error)}\ne.g. devcrew rate ${runId} 4 -m "good tests"`,
        );
      const { runs, rollout, actor, close } = await connectRuns('rate');
      try {
        const rating = await rateRun({ runs, rollout }, runId, feedback.data, actor);
        process.stdout.write(
          `rated ${rating.run_id} (${rating.mode}) ${rating.rating}/5 as ${rating.by}${rating.rating <= 2 ? ' (a complaint)' : ''}\n`,
        );
      } catch (err) {
        if (err instanceof DevcrewError) throw new CliError(err.message, EXIT.invalid);
        throw err;
      } finally {
        await close();
      }
    });
}

async function withRollout<T>(
  action: Action,
  fn: (
    rollout: Awaited<ReturnType<typeof connectRuns>>['rollout'],
    /** Who makes the change, from the credential: recorded in the rollout's audit and history. */
    by: { by: string; credential_id: string },
  ) => Promise<T>,
): Promise<T> {
  const { rollout, actor, close } = await connectRuns(action);
  try {
    return await fn(rollout, { by: actor.name, credential_id: actor.credential_id });
  } catch (err) {
    if (err instanceof DevcrewError) throw new CliError(err.message, EXIT.invalid);
    const cause = (err as { cause?: { type?: string; message?: string } }).cause;
    if (cause?.type && cause.message) throw new CliError(`[${cause.type}] ${cause.message}`, EXIT.invalid);
    throw err;
  } finally {
    await close();
  }
}

const line = (s: RolloutState) =>
  `rollout ${s.enabled ? 'on' : 'off'}: ${s.percent}% of auto runs to the crew (stages ${s.stages.join(' → ')})`;

const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(0)}%`);
const num = (x: number | null, digits = 1) => (x === null ? '-' : x.toFixed(digits));

function describe(view: RolloutView): string {
  const s = view.state;
  const a = s.auto_rollback;
  const rows = (['crew', 'single-agent'] as const).map((m) => {
    const f = view.figures[m];
    return `  ${m.padEnd(13)} ${String(f.ended).padStart(5)} ${pct(f.success_rate).padStart(8)} ${num(f.median_duration_s).padStart(8)} ${num(f.p90_duration_s).padStart(8)} ${num(f.mean_cost_usd, 4).padStart(9)} ${num(f.mean_fix_iterations).padStart(6)} ${String(f.in_flight).padStart(9)}`;
  });
  const last = s.audit[0];
  const an = s.analysis;
  const stage = s.stage_log[0];
  const judged = stage?.last_analysis;
  const ratings = (['crew', 'single-agent'] as const).map((m) => {
    const mine = s.ratings.filter((r) => r.mode === m);
    const mean = mine.length ? mine.reduce((a, r) => a + r.rating, 0) / mine.length : null;
    const complaints = mine.filter((r) => r.rating <= 2).length;
    return `${m} ${mine.length} rating(s), mean ${num(mean, 2)}, ${complaints} complaint(s)`;
  });
  const snapshot = s.snapshots[0];
  return [
    line(s),
    `ramp ${an.enabled ? 'on' : 'paused'}: every ${an.check_seconds} s; promote after ${an.bake_seconds} s with ${an.min_runs} runs of each mode and ${an.min_ratings} crew ratings, crew success >= single agent's, time <= ${an.max_time_ratio}x, mean rating >= ${an.min_mean_rating}; roll back below ${pct(an.min_success_rate)} success, on a security incident, crashes, or over ${pct(an.max_complaint_share)} complaints${s.rolled_back ? '; rolled back: turn it on again (set --enable) to restart at 5%' : ''}`,
    stage
      ? `stage ${stage.percent}% since ${stage.started_at}${judged ? `; last analysis ${judged.at}: ${judged.decision}: ${judged.reasons.join('; ')}` : ''}`
      : '',
    `ratings: ${ratings.join('; ')}`,
    snapshot
      ? `last rollback snapshot ${snapshot.at} at ${snapshot.percent}%: ${snapshot.reasons.join('; ')}; failing runs ${snapshot.failing_runs.join(', ') || '-'}; complaints ${snapshot.complaining_runs.map((r) => r.run_id).join(', ') || '-'}; alerts ${snapshot.alerts_firing.join(', ') || '-'} (devcrew rollout status --json for all)`
      : '',
    `auto-rollback ${a.enabled ? 'on' : 'off'}: above ${pct(a.failure_rate_threshold)} crew failures over ${a.window_hours} h (at least ${a.min_runs} runs), checked every ${a.check_interval_seconds} s${s.last_check ? `; last check ${s.last_check.at}: ${s.last_check.outcome}${s.last_check.error ? ` (${s.last_check.error})` : ''}` : ''}`,
    last ? `last change ${last.at} by ${last.by} (${last.action}): ${last.reason}` : '',
    '',
    `  mode          ended  success   p50 s    p90 s  mean $  fixes  in flight`,
    ...rows,
    `  window ${view.figures.crew.window.from} to ${view.figures.crew.window.to}`,
  ]
    .filter((l) => l !== '')
    .join('\n');
}
