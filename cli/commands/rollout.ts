import type { Command } from 'commander';
import type { Action, RolloutState, RolloutView } from '../../contracts';
import { RollbackRequest, RolloutChange, formatProblems, problemsFromZod } from '../../contracts';
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
    .action(
      async (percent: string | undefined, o: { reason?: string; enable?: boolean; disable?: boolean }) => {
        if (o.enable && o.disable) throw new CliError('give --enable or --disable, not both');
        const change = RolloutChange.safeParse({
          ...(percent !== undefined ? { percent: Number(percent) } : {}),
          ...(o.enable ? { enabled: true } : o.disable ? { enabled: false } : {}),
          reason: o.reason ?? '',
        });
        if (!change.success) {
          throw new CliError(
            `the change was refused:\n${formatProblems(problemsFromZod(change.error))}\n` +
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
  return [
    line(s),
    `auto-rollback ${a.enabled ? 'on' : 'off'}: above ${pct(a.failure_rate_threshold)} crew failures over ${a.window_hours} h (at least ${a.min_runs} runs), checked every ${a.check_interval_seconds} s${s.last_check ? `; last check ${s.last_check.at}: ${s.last_check.outcome}` : ''}`,
    last ? `last change ${last.at} by ${last.by} (${last.action}): ${last.reason}` : '',
    '',
    `  mode          ended  success   p50 s    p90 s  mean $  fixes  in flight`,
    ...rows,
    `  window ${view.figures.crew.window.from} to ${view.figures.crew.window.to}`,
  ]
    .filter((l) => l !== '')
    .join('\n');
}
