import type { Command } from 'commander';
import { DevcrewError } from '../../core/errors';
import { RunMode, RunStatus, type Action } from '../../contracts';
import { statusView } from '../plan-view';
import { CliError, EXIT } from '../exit-codes';
import { connectRuns } from '../temporal-access';

type Connected = Awaited<ReturnType<typeof connectRuns>>;

async function withRuns<T>(
  action: Action,
  fn: (runs: Connected['runs'], actor: Connected['actor']) => Promise<T>,
): Promise<T> {
  const { runs, actor, close } = await connectRuns(action);
  try {
    return await fn(runs, actor);
  } catch (err) {
    if (err instanceof DevcrewError) throw new CliError(err.message, EXIT.invalid);
    // A refusal by the workflow (an Update's validator) carries its code as the cause's type.
    const cause = (err as { cause?: { type?: string; message?: string } }).cause;
    if (cause?.type && cause.message) throw new CliError(`[${cause.type}] ${cause.message}`, EXIT.invalid);
    throw err;
  } finally {
    await close();
  }
}

/** `devcrew status|approve|reject|cancel`: the run's progress query, its gates, its cancellation. */
export function registerManage(program: Command): void {
  program
    .command('status')
    .description("a run's progress: status, plan, tasks, pending gates, cost (the run's progress query)")
    .argument('<run>')
    .option('--json', 'the whole run as JSON (as GET /v1/runs/{id} answers)')
    .action(async (run: string, o: { json?: boolean }) => {
      const view = await withRuns('read', (r) => r.get(run));
      if (o.json) process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
      else if ('usage' in view) process.stdout.write(`${statusView(view)}\n`);
      else if ('workers_down' in view)
        process.stdout.write(
          `run ${view.run_id}: ${view.status} (last known; WORKERS DOWN: ${view.message})\n`,
        );
      else process.stdout.write(`run ${view.run_id}: ${view.status} (${view.error})\n`);
    });
  program
    .command('runs')
    .description('the runs, newest first: status, mode, request, cost, started (from Temporal visibility)')
    .option(
      '--status <status>',
      'only runs with this status (running, awaiting_approval, completed, failed, cancelled, rejected)',
    )
    .option('--mode <mode>', 'only crew or single-agent runs')
    .option('--limit <n>', 'at most this many', '20')
    .option('--json', 'as JSON (as GET /v1/runs answers)')
    .action(async (o: { status?: string; mode?: string; limit: string; json?: boolean }) => {
      const status = o.status === undefined ? undefined : RunStatus.safeParse(o.status);
      if (status && !status.success)
        throw new CliError(`unknown --status "${o.status}"; use one of ${RunStatus.options.join(', ')}`);
      const mode = o.mode === undefined ? undefined : RunMode.safeParse(o.mode);
      if (mode && !mode.success) throw new CliError(`unknown --mode "${o.mode}"; use crew or single-agent`);
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 500)
        throw new CliError('--limit takes a whole number from 1 to 500');
      const runs = await withRuns('read', (r) => r.list({ status: status?.data, mode: mode?.data, limit }));
      if (o.json) {
        process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
        return;
      }
      if (runs.length === 0) {
        process.stdout.write(
          `no runs${o.status || o.mode ? ' match' : ' yet'}; start one with devcrew run "<request>"\n`,
        );
        return;
      }
      const rows = runs.map((r) => [
        r.run_id,
        r.status,
        r.mode ?? '-',
        r.cost_usd === null ? '-' : `$${r.cost_usd.toFixed(4)}`,
        r.started_at.replace('T', ' ').slice(0, 19),
        (r.request ?? '').replace(/\s+/g, ' ').slice(0, 50),
      ]);
      const head = ['run', 'status', 'mode', 'cost', 'started (UTC)', 'request'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const row of [head, ...rows])
        process.stdout.write(
          `${row
            .map((c, i) => c.padEnd(widths[i]!))
            .join('  ')
            .trimEnd()}\n`,
        );
    });
  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(`${decision} a pending gate of a run (a Temporal update; prints its outcome)`)
      .argument('<run>')
      .argument('<gate>', 'gate id, e.g. plan, task-<id>, budget-1')
      .option('-m, --comment <text>', 'why (a rejected plan is planned again with it)')
      .option('--budget <usd>', 'for a budget gate: the new budget', Number)
      .action(async (run: string, gate: string, o: { comment?: string; budget?: number }) => {
        // The decision is recorded under the caller's identity (DEVCREW_TOKEN, or the local user).
        const outcome = await withRuns('decide', (r, actor) =>
          r.decide(
            run,
            gate,
            {
              decision,
              ...(o.comment ? { comment: o.comment } : {}),
              ...(o.budget ? { budget_usd: o.budget } : {}),
            },
            actor,
          ),
        );
        process.stdout.write(`${JSON.stringify(outcome)}\n`);
        if ('status' in outcome) process.stderr.write(`devcrew: ${outcome.message}\n`);
      });
  }
  program
    .command('cancel')
    .description('cancel a run: its activities stop and its sandbox containers are removed')
    .argument('<run>')
    .action(async (run: string) => {
      await withRuns('cancel', (r, actor) => r.cancel(run, actor));
      process.stdout.write(`cancelling ${run}\n`);
    });
}
