import type { Command } from 'commander';
import { DevcrewError } from '../../core/errors';
import { CliError, EXIT } from '../exit-codes';
import { connectRuns } from '../temporal-access';

async function withRuns<T>(
  fn: (runs: Awaited<ReturnType<typeof connectRuns>>['runs']) => Promise<T>,
): Promise<T> {
  const { runs, close } = await connectRuns();
  try {
    return await fn(runs);
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
    .description("a run's progress: status, tasks, pending gates, cost (the run's progress query)")
    .argument('<run>')
    .action(async (run: string) => {
      process.stdout.write(`${JSON.stringify(await withRuns((r) => r.get(run)), null, 2)}\n`);
    });
  for (const decision of ['approve', 'reject'] as const) {
    program
      .command(decision)
      .description(`${decision} a pending gate of a run (a Temporal update; prints its outcome)`)
      .argument('<run>')
      .argument('<gate>', 'gate id, e.g. plan, task-<id>, budget-1')
      .option('--as <name>', 'who decides', process.env.USER ?? 'cli')
      .option('-m, --comment <text>', 'why (a rejected plan is planned again with it)')
      .option('--budget <usd>', 'for a budget gate: the new budget', Number)
      .action(async (run: string, gate: string, o: { as: string; comment?: string; budget?: number }) => {
        const outcome = await withRuns((r) =>
          r.decide(run, gate, {
            decision,
            approver: o.as,
            ...(o.comment ? { comment: o.comment } : {}),
            ...(o.budget ? { budget_usd: o.budget } : {}),
          }),
        );
        process.stdout.write(`${JSON.stringify(outcome)}\n`);
      });
  }
  program
    .command('cancel')
    .description('cancel a run: its activities stop and its sandbox containers are removed')
    .argument('<run>')
    .action(async (run: string) => {
      await withRuns((r) => r.cancel(run));
      process.stdout.write(`cancelling ${run}\n`);
    });
}
