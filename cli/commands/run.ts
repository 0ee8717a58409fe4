import fs from 'node:fs/promises';
import type { Command } from 'commander';
import { formatProblems, RequestedMode, validateDocumentText } from '../../contracts';
import { offerRating } from '../rate-prompt';
import { connectRuns } from '../temporal-access';
import { CliError, EXIT } from '../exit-codes';
import { defaultOutDir, exportRun } from '../export-run';
import { finalReport, followRun } from '../follow-run';

/** `devcrew run "<request>" | --todo FILE`: starts a run on a running devcrew and follows it. */
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('start a run on a running devcrew (devcrew up) and follow its progress')
    .argument('[request]', 'what to build')
    .option('--todo <file>', 'run a ready TodoList instead of planning')
    .option('--approve-plan', 'approve the plan without asking')
    .option('--no-wait', 'print the run id and return at once')
    .option('--json', 'print the final run as JSON (for scripts)')
    .option('--budget <usd>', 'spending limit in USD', Number)
    .option('--parallelism <n>', 'tasks at once', Number)
    .option('--mode <mode>', 'crew, single-agent, or auto (the rollout decides)', 'auto')
    .option('--out <dir>', "where the run's files go (default ./devcrew-output/<run>/)")
    .option('--no-export', "leave the run's files in the artifact repository only")
    .action(
      async (
        request: string | undefined,
        o: {
          todo?: string;
          approvePlan?: boolean;
          wait: boolean;
          json?: boolean;
          budget?: number;
          parallelism?: number;
          mode: string;
          out?: string;
          export: boolean;
        },
      ) => {
        if (!request === !o.todo) throw new CliError('give a request or --todo FILE (one of them)');
        const mode = RequestedMode.safeParse(o.mode);
        if (!mode.success) throw new CliError(`unknown --mode "${o.mode}"; use crew, single-agent or auto`);
        let todo;
        if (o.todo) {
          const text = await fs.readFile(o.todo, 'utf8').catch(() => {
            throw new CliError(`no such file: ${o.todo}`);
          });
          const checked = validateDocumentText('todo', text);
          if (!checked.ok)
            throw new CliError(
              `${o.todo} is not a valid TodoList:\n${formatProblems(checked.problems)}`,
              EXIT.invalid,
            );
          todo = checked.value;
        }
        const { runs, rollout, actor, close, webUi } = await connectRuns('start');
        try {
          const options = {
            mode: mode.data,
            ...(o.budget ? { budget_usd: o.budget } : {}),
            ...(o.parallelism ? { parallelism: o.parallelism } : {}),
          };
          const { run_id } = await runs.start(
            todo ? { todo_list: todo, options } : { request, options },
            actor,
          );
          if (!o.wait) {
            process.stdout.write(o.json ? `${JSON.stringify({ run_id })}\n` : `${run_id}\n`);
            return;
          }
          const write = (line: string) => (o.json ? process.stderr : process.stdout).write(`${line}\n`);
          const run = await followRun({
            runs,
            runId: run_id,
            actor,
            approvePlan: o.approvePlan,
            interactive: !o.json,
            write,
          });
          const exported = o.export ? await exportRun(run, o.out ?? defaultOutDir(run_id)) : undefined;
          if (exported && !exported.dir) write(`  ${exported.note}`);
          process.stdout.write(
            o.json
              ? `${JSON.stringify({ ...run, ...(exported?.dir ? { exported_to: exported.dir } : {}) })}\n`
              : `${finalReport(run, webUi, exported?.dir)}\n`,
          );
          if (!o.json) await offerRating({ runs, rollout, run, write, actor });
          process.exitCode = run.status === 'completed' ? EXIT.ok : EXIT.invalid;
        } finally {
          await close();
        }
      },
    );
}
