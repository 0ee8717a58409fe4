import type {
  BuildPolicy,
  EvalMode,
  EvalModeSummary,
  EvalReport,
  EvalRun,
  HiddenVerdict,
  RunMode,
  RunView,
} from '../contracts';
import { problemPaths, problemRequest, type HumanEvalProblem } from '../models/humaneval';
import { ModelError, type TokenUsage } from '../models/types';
import type { RunsService } from '../server/runs-service';

/** What scoring needs of the outside: the run's final files, and the hidden tests run in the sandbox. */
export interface EvalDeps {
  runs: RunsService;
  /** The files of a commit of the artifact store. */
  readFiles(commit: string): Promise<{ path: string; content: string }[]>;
  /** Runs the problem's hidden check() against the files, in the sandbox. */
  score(problem: HumanEvalProblem, files: { path: string; content: string }[]): Promise<Scored>;
  webUi?: (runId: string) => string | null;
  progress?: (line: string) => void;
  /**
   * The model alone: one call with the single agent's prompt, no tests, no fix round. Given, the
   * evaluation also runs every problem this way (mode `single-shot`), the floor both modes must beat.
   */
  singleShot?(p: HumanEvalProblem): Promise<SingleShot>;
  /** Called with each run as soon as it is scored (the CLI appends it to runs.jsonl, to resume from). */
  record?(taskId: string, mode: EvalMode, run: EvalRun): Promise<void>;
  /** The report so far, after each new run (the CLI writes it to report.json and report.md). */
  snapshot?(report: EvalReport): Promise<void>;
  /** What the same tokens would cost on the catalog's default Gemini model. */
  geminiCost?(usage: TokenUsage): number;
  /** The devcrew code this evaluation runs (EvalRun.devcrew), e.g. from `codeVersion()`. */
  codeVersion?: string | null;
}

export interface SingleShot {
  files: { path: string; content: string }[];
  model: string;
  model_seconds: number;
  input_tokens: number;
  output_tokens: number;
}

export interface Scored {
  verdict: Extract<HiddenVerdict, 'passed' | 'failed' | 'no_function' | 'not_run'>;
  detail: string;
  seconds: number;
}

export interface EvalOptions {
  problems: HumanEvalProblem[];
  modes: RunMode[];
  concurrency: number;
  /** The whole evaluation's cap: no run starts once the runs so far cost this much. */
  budgetUsd?: number;
  /** Each run's own budget gate. */
  runBudgetUsd: number;
  buildPolicy: BuildPolicy;
  suite: string;
  /** Runs already scored by an earlier, interrupted evaluation (key: `task_id mode`): not run again. */
  earlier?: Map<string, EvalRun>;
}

export const runKey = (taskId: string, mode: string) => `${taskId} ${mode}`;

/**
 * Runs every problem in every mode as a devcrew run on the running stack (real workflows, sandbox and
 * artifact store), then its hidden tests in the sandbox against the run's final code: only they decide
 * pass or fail. Runs go `concurrency` at a time, problem by problem with its modes side by side.
 */
export async function evaluate(deps: EvalDeps, o: EvalOptions): Promise<EvalReport> {
  const started = Date.now();
  const results = new Map<string, Record<string, EvalRun>>();
  const modes: EvalMode[] = [...o.modes, ...(deps.singleShot ? (['single-shot'] as const) : [])];
  const jobs = o.problems.flatMap((p) => modes.map((mode) => ({ p, mode })));
  let spent = 0;
  let stopped: string | null = null;
  let done = 0;
  let reused = 0;
  let model = '';
  const passing = Object.fromEntries(modes.map((m) => [m, { passed: 0, done: 0 }]));

  const runOne = async ({ p, mode }: (typeof jobs)[number]): Promise<void> => {
    let result: EvalRun;
    const earlier = o.earlier?.get(runKey(p.task_id, mode));
    let backfilled = false;
    if (earlier) {
      result = earlier;
      reused++;
      // A row scored before its first tested code was judged gets that verdict from its run's history,
      // while the stack still has the run; the row is recorded again with it (the last line wins).
      if (mode !== 'single-shot' && earlier.run_id && earlier.first_code_hidden === null) {
        const first = await backfillFirstCode(deps, p, earlier);
        if (first) {
          result = { ...earlier, first_code_hidden: first };
          backfilled = true;
          await deps.record?.(p.task_id, mode, result);
        }
      }
    } else if (o.budgetUsd !== undefined && spent >= o.budgetUsd) {
      stopped ??= `the evaluation's budget of $${o.budgetUsd} was spent ($${spent.toFixed(4)})`;
      result = notStarted(stopped);
    } else {
      const r =
        mode === 'single-shot' ? await singleShotProblem(deps, p) : await runProblem(deps, p, mode, o);
      result = { ...r.result, devcrew: deps.codeVersion ?? null };
      model ||= r.model;
      spent += result.cost_usd;
      await deps.record?.(p.task_id, mode, result);
    }
    const row = results.get(p.task_id) ?? {};
    row[mode] = result;
    results.set(p.task_id, row);
    done++;
    passing[mode]!.done++;
    if (result.passed) passing[mode]!.passed++;
    const elapsed = (Date.now() - started) / 1000;
    const fresh = done - reused;
    const eta = fresh > 0 ? (elapsed / fresh) * (jobs.length - done) : 0;
    deps.progress?.(
      `[${done}/${jobs.length}] ${p.task_id} ${mode}: ${result.passed ? 'pass' : `FAIL (${result.hidden})`} in ${result.seconds.toFixed(1)} s${earlier ? ' (scored earlier)' : ''}${backfilled ? `, first tested code: ${result.first_code_hidden}` : ''}` +
        ` | passing so far ${modes.map((m) => `${m} ${passing[m]!.passed}/${passing[m]!.done}`).join(', ')}` +
        ` | elapsed ${clock(elapsed)}, ETA ${clock(eta)}`,
    );
    // The report so far, on disk after every run: an evaluation cut off still leaves its figures.
    if (!earlier) await deps.snapshot?.(report());
  };
  const report = (): EvalReport => {
    const problems = o.problems.map((p) => ({
      task_id: p.task_id,
      entry_point: p.entry_point,
      results: results.get(p.task_id) ?? {},
    }));
    const named = model || ([...(o.earlier?.values() ?? [])].length ? 'as recorded in the earlier runs' : '');
    const double = named.startsWith('scripted');
    const summaries = Object.fromEntries(
      modes.map((m) => [
        m,
        summarize(
          m,
          problems.map((p) => p.results[m]),
        ),
      ]),
    );
    return {
      suite: o.suite,
      model: named || 'unknown (no run started)',
      double,
      note: double
        ? "Scripted evaluation double (a test double answering from the benchmark's own solutions): these figures test the harness, they are not a score."
        : `Answers by ${named}; pass@1 from the benchmark's hidden tests run in the sandbox.`,
      started_at: new Date(started).toISOString(),
      wall_seconds: round((Date.now() - started) / 1000, 1),
      build_policy: o.buildPolicy,
      stopped,
      modes: Object.fromEntries(Object.entries(summaries).filter(([m]) => m !== 'single-shot')),
      criteria: criteria(problems, deps.geminiCost),
      ...(summaries['single-shot']
        ? {
            single_shot: {
              pass_at_1: summaries['single-shot'].pass_at_1,
              passed: summaries['single-shot'].passed,
              problems: summaries['single-shot'].problems,
            },
          }
        : {}),
      paired: pairsOf([...modes]).map(([a, b]) => paired(problems, a, b)),
      progress: { done, planned: jobs.length },
      problems,
    };
  };
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(o.concurrency, jobs.length)) }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await runOne(job);
    }),
  );

  return report();
}

/** The migration plan's criteria from the runs' own records. */
export function criteria(
  problems: { results: Record<string, EvalRun> }[],
  geminiCost?: (usage: TokenUsage) => number,
): NonNullable<EvalReport['criteria']> {
  const runs = (mode: string) =>
    problems.map((p) => p.results[mode]).filter((r): r is EvalRun => !!r && r.run_id !== null);
  const crew = runs('crew');
  const rate = (xs: (boolean | null)[]) => {
    const known = xs.filter((x): x is boolean => x !== null);
    return known.length ? round(known.filter(Boolean).length / known.length, 4) : null;
  };
  // The Tester is the crew's: the single agent's verdict on its own code is its own tests', shown beside.
  const agreement = (xs: EvalRun[]) =>
    rate(
      xs
        .filter((r) => r.last_code_hidden === 'passed' || r.last_code_hidden === 'failed')
        .map((r) =>
          r.own_tests_passed === null ? null : r.own_tests_passed === (r.last_code_hidden === 'passed'),
        ),
    );
  const ratios = problems
    .map((p) => [p.results.crew, p.results['single-agent']] as const)
    .filter(([c, s]) => c?.run_id && s?.run_id && s.seconds > 0)
    .map(([c, s]) => c!.seconds / s!.seconds)
    .sort((a, b) => a - b);
  const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 6) : null);
  return {
    valid_contract_rate: rate(crew.map((r) => r.contract_first_try)),
    coder_first_try_pass_rate: rate(crew.map((r) => r.first_try_passed)),
    tester_accuracy: agreement(crew),
    single_agent_tests_accuracy: agreement(runs('single-agent')),
    time_ratio_median: quantile(ratios, 0.5),
    time_ratio_p90: quantile(ratios, 0.9),
    cost_per_run_usd: mean(crew.map((r) => r.cost_usd)),
    cost_per_run_usd_on_gemini: geminiCost
      ? mean(
          crew.map((r) =>
            geminiCost({ input_tokens: r.input_tokens, output_tokens: r.output_tokens, thought_tokens: 0 }),
          ),
        )
      : null,
  };
}

/** The model alone: one call, its code scored by the hidden check; no tests run, no fix round. */
async function singleShotProblem(
  deps: EvalDeps,
  p: HumanEvalProblem,
): Promise<{ result: EvalRun; model: string }> {
  const t0 = Date.now();
  const base = {
    run_id: `single-shot ${p.task_id}`,
    web_ui: null,
    cost_usd: 0,
    model_calls: 1,
    fix_iterations: 0,
    own_tests_passed: null,
    first_try_passed: null,
    contract_first_try: null,
  };
  let shot: SingleShot;
  try {
    shot = await deps.singleShot!(p);
  } catch (err) {
    // The model server not answering is not the model's answer: nothing is recorded, the evaluation
    // stops, and the same command runs this problem again (a run recorded failed in 1.2 s as a stack
    // went down would have counted against the model for good).
    if (err instanceof ModelError && PROVIDER_DOWN.has(err.code)) {
      throw new ModelError(
        err.code,
        `${p.task_id} single-shot: the model did not answer (${err.evidence}); the evaluation stops here, and the same command with the same -o folder goes on from this problem`,
      );
    }
    const seconds = round((Date.now() - t0) / 1000, 2);
    return {
      model: '',
      result: {
        ...base,
        status: 'failed',
        hidden: 'run_failed',
        passed: false,
        detail: String((err as Error).message ?? err).slice(0, 300),
        seconds,
        sandbox_seconds: 0,
        model_seconds: seconds,
        time_split: { model: seconds, sandbox: 0, other: 0 },
        input_tokens: 0,
        output_tokens: 0,
        last_code_hidden: null,
        first_code_hidden: null,
        code: null,
      },
    };
  }
  const scored = await deps.score(p, shot.files);
  const seconds = round((Date.now() - t0) / 1000, 2);
  return {
    model: shot.model,
    result: {
      ...base,
      status: 'completed',
      hidden: scored.verdict,
      passed: scored.verdict === 'passed',
      detail: scored.detail.slice(0, 300),
      seconds,
      sandbox_seconds: round(scored.seconds, 2),
      model_seconds: round(shot.model_seconds, 2),
      time_split: split(seconds, shot.model_seconds, scored.seconds),
      input_tokens: shot.input_tokens,
      output_tokens: shot.output_tokens,
      last_code_hidden: scored.verdict,
      first_code_hidden: scored.verdict,
      code: scoredModule(p, shot.files),
    },
  };
}

/** The module of a problem's function among the files scored (what the hidden check imports). */
function scoredModule(p: HumanEvalProblem, files: { path: string; content: string }[]): string | null {
  const at = problemPaths(p).code;
  return files.find((f) => f.path.replace(/^\.\//, '') === at)?.content ?? null;
}

const split = (total: number, model: number, sandbox: number) => ({
  model: round(model, 2),
  sandbox: round(sandbox, 2),
  other: round(Math.max(0, total - model - sandbox), 2),
});

async function runProblem(
  deps: EvalDeps,
  p: HumanEvalProblem,
  mode: RunMode,
  o: EvalOptions,
): Promise<{ result: EvalRun; model: string }> {
  const t0 = Date.now();
  const { run_id } = await deps.runs.start({
    request: problemRequest(p),
    options: {
      mode,
      gates: { plan: false },
      budget_usd: o.runBudgetUsd,
      build_policy: o.buildPolicy,
    },
  });
  for await (const event of deps.runs.events(run_id, { after: 0 })) {
    if (event.type === 'run_finished') break;
  }
  const seconds = (Date.now() - t0) / 1000;
  const view = await deps.runs.get(run_id);
  const figures = runFigures(view);
  const model = 'model' in view && view.model ? describeModel(view.model) : '';
  const base = {
    run_id,
    web_ui: deps.webUi?.(run_id) ?? null,
    status: view.status,
    seconds: round(seconds, 2),
    ...figures,
  };
  const artifacts = 'result' in view ? view.result?.artifacts : undefined;
  const spans = stepSpans(view);
  const finished = (r: Omit<EvalRun, 'time_split'>): { result: EvalRun; model: string } => {
    const scoring = r.sandbox_seconds - base.sandbox_seconds;
    return {
      model,
      result: {
        ...r,
        // Steps timed by the workflow count every attempt (a runaway answer retried included); a run
        // from before they were timed falls back to the usage it reports.
        time_split: spans
          ? split(r.seconds, spans.model, spans.sandbox + scoring)
          : split(r.seconds, r.model_seconds, r.sandbox_seconds),
      },
    };
  };
  if (view.status !== 'completed' || !artifacts) {
    const error = 'error' in view && view.error ? String(view.error) : `run ${view.status}`;
    // The hidden check of the code it left, only to judge its Tester: a failed run never passes.
    const last = lastCodeCommit(view);
    const lastFiles = last ? await deps.readFiles(last) : undefined;
    const lastScored = lastFiles ? await deps.score(p, lastFiles) : undefined;
    const module = lastFiles ? scoredModule(p, lastFiles) : null;
    return finished({
      ...base,
      hidden: 'run_failed',
      passed: false,
      detail: error.slice(0, 300),
      last_code_hidden: lastScored?.verdict ?? null,
      first_code_hidden: await firstCodeHidden(deps, p, view, { module, verdict: lastScored?.verdict }),
      code: module,
    });
  }
  const files = await deps.readFiles(artifacts.commit);
  const scored = await deps.score(p, files);
  const module = scoredModule(p, files);
  return finished({
    ...base,
    hidden: scored.verdict,
    passed: scored.verdict === 'passed',
    detail: scored.detail.slice(0, 300),
    sandbox_seconds: round(base.sandbox_seconds + scored.seconds, 2),
    last_code_hidden: scored.verdict,
    first_code_hidden: await firstCodeHidden(deps, p, view, { module, verdict: scored.verdict }),
    code: module,
  });
}

/** The first tested code's verdict of an earlier row, from its run on the stack; null when it is gone. */
async function backfillFirstCode(
  deps: EvalDeps,
  p: HumanEvalProblem,
  row: EvalRun,
): Promise<HiddenVerdict | null> {
  try {
    const view = await deps.runs.get(row.run_id!);
    const verdict = row.last_code_hidden === 'not_started' ? undefined : (row.last_code_hidden ?? undefined);
    return await firstCodeHidden(deps, p, view, { module: row.code, verdict });
  } catch {
    return null;
  }
}

/**
 * The hidden check of the code the run's first test ran against (its first Tester step's commit holds
 * it), reusing the final verdict when that code is the final code; null when no test ran.
 */
export async function firstCodeHidden(
  deps: Pick<EvalDeps, 'readFiles' | 'score'>,
  p: HumanEvalProblem,
  view: RunView,
  final: { module: string | null; verdict: HiddenVerdict | undefined },
): Promise<HiddenVerdict | null> {
  const firstTest = committedSteps(view, ['tester'])[0];
  if (!firstTest) return null;
  const files = await deps.readFiles(firstTest.commit!);
  const module = scoredModule(p, files);
  if (final.verdict && module !== null && module === final.module) return final.verdict;
  return (await deps.score(p, files)).verdict;
}

/** Model errors that say the provider is not there, as opposed to an answer that was wrong. */
const PROVIDER_DOWN = new Set(['MODEL_UNAVAILABLE', 'MODEL_RATE_LIMITED']);

/** Roles whose steps are model calls; the build checker's and the Tester's are sandbox jobs. */
const MODEL_STEPS = new Set(['architect', 'coder', 'debugger', 'single-agent']);
const SANDBOX_STEPS = new Set(['build-checker', 'tester']);

/**
 * Seconds the run's steps took by kind, from each step's own wall time (every attempt and the waits
 * between them), plus the Planner's model time it reports (a plan is not a task step); undefined when
 * a step has no time (a run from before steps were timed).
 */
export function stepSpans(view: RunView): { model: number; sandbox: number } | undefined {
  const steps = ('tasks' in view ? view.tasks : []).flatMap((t) => t.history);
  if (!steps.length || steps.some((h) => h.seconds === undefined)) return undefined;
  const sum = (kinds: Set<string>) =>
    steps.filter((h) => kinds.has(h.agent)).reduce((s, h) => s + (h.seconds ?? 0), 0);
  const planner = 'usage_by_role' in view ? (view.usage_by_role?.planner?.model_seconds ?? 0) : 0;
  return { model: sum(MODEL_STEPS) + planner, sandbox: sum(SANDBOX_STEPS) };
}

/** The newest commit a code-writing step made (Coder, Debugger, single agent), from the run's tasks. */
function lastCodeCommit(view: RunView): string | undefined {
  return committedSteps(view, ['coder', 'debugger', 'single-agent']).at(-1)?.commit;
}

/** The run's steps of these kinds that committed, oldest first. */
function committedSteps(view: RunView, agents: string[]) {
  return ('tasks' in view ? view.tasks : [])
    .flatMap((t) => t.history)
    .filter((h) => agents.includes(h.agent) && h.commit)
    .sort((a, b) => a.at.localeCompare(b.at));
}

export function describeModel(m: { provider: string; name: string }): string {
  return m.provider === 'scripted' ? 'scripted (test double)' : `${m.provider}/${m.name}`;
}

/** Cost, calls, tokens, model time, fix rounds, test time and verdicts, as the run itself reports them. */
function runFigures(view: RunView) {
  const usage = 'usage' in view ? view.usage : undefined;
  const tasks = 'tasks' in view ? view.tasks : [];
  const tests = 'result' in view ? view.result?.test_summary : undefined;
  const history = tasks.flatMap((t) => t.history).sort((a, b) => a.at.localeCompare(b.at));
  const testRuns = history.filter((h) => h.agent === 'tester');
  const architects = tasks.filter((t) => t.agent_role === 'architect');
  return {
    cost_usd: usage?.cost_usd ?? 0,
    model_calls: (usage?.calls ?? 0) + (usage?.cache_hits ?? 0),
    fix_iterations: tasks.reduce((s, t) => s + t.rounds, 0),
    sandbox_seconds: tests?.duration_s ?? 0,
    model_seconds: round(usage?.model_seconds ?? 0, 2),
    input_tokens: usage?.input_tokens ?? 0,
    output_tokens: usage?.output_tokens ?? 0,
    own_tests_passed: testRuns.at(-1)?.passed ?? null,
    first_try_passed: testRuns[0]?.passed ?? null,
    // Accepted first time: one Architect answer, and it was kept.
    contract_first_try: architects.length
      ? architects.every(
          (t) => t.status === 'completed' && t.history.filter((h) => h.agent === 'architect').length === 1,
        )
      : null,
  };
}

function notStarted(why: string): EvalRun {
  return {
    code: null,
    model_seconds: 0,
    time_split: { model: 0, sandbox: 0, other: 0 },
    input_tokens: 0,
    output_tokens: 0,
    own_tests_passed: null,
    first_try_passed: null,
    contract_first_try: null,
    last_code_hidden: null,
    first_code_hidden: null,
    run_id: null,
    web_ui: null,
    status: 'not_started',
    hidden: 'not_started',
    passed: false,
    detail: why,
    seconds: 0,
    cost_usd: 0,
    model_calls: 0,
    fix_iterations: 0,
    sandbox_seconds: 0,
  };
}

export function summarize(mode: EvalMode, runs: (EvalRun | undefined)[]): EvalModeSummary {
  const all = runs.filter((r): r is EvalRun => r !== undefined);
  const ran = all.filter((r) => r.run_id !== null);
  const mean = (f: (r: EvalRun) => number) =>
    ran.length ? round(ran.reduce((s, r) => s + f(r), 0) / ran.length, 4) : null;
  const seconds = ran.map((r) => r.seconds).sort((a, b) => a - b);
  const passed = all.filter((r) => r.passed).length;
  const firsts = ran
    .map((r) => r.first_code_hidden ?? (mode === 'single-shot' ? (r.hidden as HiddenVerdict) : null))
    .filter((v): v is HiddenVerdict => v !== null);
  return {
    mode,
    problems: all.length,
    pass_at_1: all.length ? round(passed / all.length, 4) : 0,
    passed,
    completed: ran.filter((r) => r.status === 'completed').length,
    median_seconds: quantile(seconds, 0.5),
    p90_seconds: quantile(seconds, 0.9),
    mean_cost_usd: mean((r) => r.cost_usd),
    mean_model_calls: mean((r) => r.model_calls),
    mean_fix_iterations: mean((r) => r.fix_iterations),
    sandbox_seconds: round(
      ran.reduce((s, r) => s + r.sandbox_seconds, 0),
      2,
    ),
    pass_at_1_interval: wilson(passed, all.length),
    mean_model_seconds: mean((r) => r.model_seconds),
    mean_input_tokens: mean((r) => r.input_tokens),
    mean_output_tokens: mean((r) => r.output_tokens),
    first_code_pass_rate: firsts.length
      ? round(firsts.filter((v) => v === 'passed').length / firsts.length, 4)
      : null,
    first_code_runs: firsts.length,
  };
}

/**
 * Mode a against mode b on the problems both have a result for: the exact McNemar test, a two-sided
 * binomial test on the problems only one of them passed (under "neither is better" each such problem
 * is a fair coin).
 */
export function paired(
  problems: { results: Partial<Record<string, EvalRun>> }[],
  a: string,
  b: string,
): NonNullable<EvalReport['paired']>[number] {
  let both = 0,
    onlyA = 0,
    onlyB = 0,
    neither = 0;
  for (const p of problems) {
    const x = p.results[a];
    const y = p.results[b];
    if (!x || !y) continue;
    if (x.passed && y.passed) both++;
    else if (x.passed) onlyA++;
    else if (y.passed) onlyB++;
    else neither++;
  }
  const p_value = Math.min(1, 2 * fairCoinTail(Math.min(onlyA, onlyB), onlyA + onlyB));
  return {
    a,
    b,
    problems: both + onlyA + onlyB + neither,
    both,
    only_a: onlyA,
    only_b: onlyB,
    neither,
    p_value: round(p_value, 4),
  };
}

/** The 95% Wilson score interval of k successes in n. */
export function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 0];
  const z = 1.96;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [round(Math.max(0, centre - half), 4), round(Math.min(1, centre + half), 4)];
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!, 2);
}

/** The chance of at most k heads in n tosses of a fair coin. */
function fairCoinTail(k: number, n: number): number {
  let ways = 1; // n choose 0
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += ways;
    ways = (ways * (n - i)) / (i + 1); // n choose i+1
  }
  return sum / 2 ** n;
}

/** Every two of the modes, in the order given (crew before single-agent before single-shot). */
function pairsOf(modes: string[]): [string, string][] {
  return modes.flatMap((a, i) => modes.slice(i + 1).map((b): [string, string] => [a, b]));
}

export const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
