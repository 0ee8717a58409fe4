import type { EvalModeSummary, EvalReport, EvalRun, HiddenVerdict, RunMode, RunView } from '../contracts';
import { problemRequest, type HumanEvalProblem } from '../models/humaneval';
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
  buildPolicy: 'strict' | 'warn';
  suite: string;
}

/**
 * Runs every problem in every mode as a devcrew run on the running stack (real workflows, sandbox and
 * artifact store), then its hidden tests in the sandbox against the run's final code: only they decide
 * pass or fail. Runs go `concurrency` at a time, problem by problem with its modes side by side.
 */
export async function evaluate(deps: EvalDeps, o: EvalOptions): Promise<EvalReport> {
  const started = Date.now();
  const results = new Map<string, Record<string, EvalRun>>();
  const jobs = o.problems.flatMap((p) => o.modes.map((mode) => ({ p, mode })));
  let spent = 0;
  let stopped: string | null = null;
  let done = 0;
  let model = '';
  const passing = Object.fromEntries(o.modes.map((m) => [m, { passed: 0, done: 0 }]));

  const runOne = async ({ p, mode }: (typeof jobs)[number]): Promise<void> => {
    let result: EvalRun;
    if (o.budgetUsd !== undefined && spent >= o.budgetUsd) {
      stopped ??= `the evaluation's budget of $${o.budgetUsd} was spent ($${spent.toFixed(4)})`;
      result = notStarted(stopped);
    } else {
      const r = await runProblem(deps, p, mode, o);
      result = r.result;
      model ||= r.model;
      spent += result.cost_usd;
    }
    const row = results.get(p.task_id) ?? {};
    row[mode] = result;
    results.set(p.task_id, row);
    done++;
    passing[mode]!.done++;
    if (result.passed) passing[mode]!.passed++;
    const elapsed = (Date.now() - started) / 1000;
    const eta = (elapsed / done) * (jobs.length - done);
    deps.progress?.(
      `[${done}/${jobs.length}] ${p.task_id} ${mode}: ${result.passed ? 'pass' : `FAIL (${result.hidden})`} in ${result.seconds.toFixed(1)} s` +
        ` | passing so far ${o.modes.map((m) => `${m} ${passing[m]!.passed}/${passing[m]!.done}`).join(', ')}` +
        ` | elapsed ${clock(elapsed)}, ETA ${clock(eta)}`,
    );
  };
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(o.concurrency, jobs.length)) }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) await runOne(job);
    }),
  );

  const problems = o.problems.map((p) => ({
    task_id: p.task_id,
    entry_point: p.entry_point,
    results: results.get(p.task_id) ?? {},
  }));
  const double = model.startsWith('scripted');
  return {
    suite: o.suite,
    model: model || 'unknown (no run started)',
    double,
    note: double
      ? "Scripted evaluation double (a test double answering from the benchmark's own solutions): these figures test the harness, they are not a score."
      : `Answers by ${model}; pass@1 from the benchmark's hidden tests run in the sandbox.`,
    started_at: new Date(started).toISOString(),
    wall_seconds: round((Date.now() - started) / 1000, 1),
    build_policy: o.buildPolicy,
    stopped,
    modes: Object.fromEntries(
      o.modes.map((m) => [
        m,
        summarize(
          m,
          problems.map((p) => p.results[m]),
        ),
      ]),
    ),
    problems,
  };
}

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
  if (view.status !== 'completed' || !artifacts) {
    const error = 'error' in view && view.error ? String(view.error) : `run ${view.status}`;
    return {
      model,
      result: { ...base, hidden: 'run_failed', passed: false, detail: error.slice(0, 300) },
    };
  }
  const files = await deps.readFiles(artifacts.commit);
  const scored = await deps.score(p, files);
  return {
    model,
    result: {
      ...base,
      hidden: scored.verdict,
      passed: scored.verdict === 'passed',
      detail: scored.detail.slice(0, 300),
      sandbox_seconds: round(base.sandbox_seconds + scored.seconds, 2),
    },
  };
}

function describeModel(m: { provider: string; name: string }): string {
  return m.provider === 'scripted' ? 'scripted (test double)' : `${m.provider}/${m.name}`;
}

/** Cost, calls, fix rounds and test time, as the run itself reports them. */
function runFigures(view: RunView) {
  const usage = 'usage' in view ? view.usage : undefined;
  const tasks = 'tasks' in view ? view.tasks : [];
  const tests = 'result' in view ? view.result?.test_summary : undefined;
  return {
    cost_usd: usage?.cost_usd ?? 0,
    model_calls: (usage?.calls ?? 0) + (usage?.cache_hits ?? 0),
    fix_iterations: tasks.reduce((s, t) => s + t.rounds, 0),
    sandbox_seconds: tests?.duration_s ?? 0,
  };
}

function notStarted(why: string): EvalRun {
  return {
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

export function summarize(mode: RunMode, runs: (EvalRun | undefined)[]): EvalModeSummary {
  const all = runs.filter((r): r is EvalRun => r !== undefined);
  const ran = all.filter((r) => r.run_id !== null);
  const mean = (f: (r: EvalRun) => number) =>
    ran.length ? round(ran.reduce((s, r) => s + f(r), 0) / ran.length, 4) : null;
  const seconds = ran.map((r) => r.seconds).sort((a, b) => a - b);
  const passed = all.filter((r) => r.passed).length;
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
  };
}

/** Nearest-rank quantile of sorted values. */
function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!, 2);
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
