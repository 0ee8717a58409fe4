import {
  ARCHITECT_REFUSED_FIRST,
  Contract,
  type DesignReport,
  type DesignRun,
  type TodoList,
} from '../contracts';
import type { RunsService } from '../server/runs-service';
import { describeModel, quantile, round, wilson } from './harness';

/**
 * Design requests for the Architect alone. A HumanEval problem is one function, so the crew never
 * plans an Architect task for it and the plan's "valid contracts" criterion gets no figure there; these
 * ask for a small design each, the kind of request the crew exists for.
 */
export const DESIGN_REQUESTS: readonly { id: string; request: string }[] = [
  { id: 'sma-crossover', request: 'Create simple SMA crossover strategy' },
  {
    id: 'momentum',
    request: 'Create a momentum strategy that compares the latest price with the price a lookback window ago',
  },
  {
    id: 'rsi',
    request: 'Create an RSI indicator that labels a price series overbought above 70 and oversold below 30',
  },
  { id: 'bollinger', request: 'Create a Bollinger band breakout strategy over a rolling window' },
  {
    id: 'position-sizer',
    request:
      'Create a position sizer that risks a fixed fraction of account equity per trade, given the entry and stop prices',
  },
  {
    id: 'order-book',
    request: 'Create a limit order book that matches buy and sell orders by price, then by arrival time',
  },
  {
    id: 'csv-loader',
    request:
      'Create a CSV price loader that checks the date, open, high, low, close and volume columns of every row',
  },
  {
    id: 'rebalancer',
    request: 'Create a portfolio rebalancer that computes the trades that bring holdings to target weights',
  },
  {
    id: 'trailing-stop',
    request:
      'Create a trailing stop that follows the highest price since entry at a fixed percentage below it',
  },
  {
    id: 'backtester',
    request:
      'Create a backtester that runs a signal function over a price series and reports total return and maximum drawdown',
  },
];

/** A ready plan of one Architect task for the request (no Planner call, no code). */
export function designPlan(d: { id: string; request: string }): TodoList {
  const slug = d.id.replace(/[^a-z0-9]+/g, '_');
  return {
    todo_list_id: `todo_design_${slug}`,
    schema_version: '1.0',
    request: d.request,
    tasks: [
      {
        id: `design_${slug}`,
        title: 'Define the contract',
        description:
          'The interfaces (Python classes and functions with their signatures), data models and pytest ' +
          `test skeletons a Coder will implement for: ${d.request}`,
        agent_role: 'architect',
        dependencies: [],
        acceptance_criteria: { tests: [] },
        timeout_seconds: 600,
        max_retries: 2,
        requires_approval: false,
      },
    ],
  };
}

export interface DesignDeps {
  runs: Pick<RunsService, 'start' | 'get' | 'events'>;
  /** The files of a commit in the artifact store (the contract the Architect wrote). */
  readFiles(commit: string): Promise<{ path: string; content: string }[]>;
  webUi?: (runId: string) => string | null;
  progress?: (line: string) => void;
  /** Each run as soon as it ended (the CLI appends it to runs.jsonl, to resume from). */
  record?(id: string, run: DesignRun): Promise<void>;
  codeVersion?: string | null;
}

/**
 * Runs every design request as a crew run with its one-task plan, one after another, and reads from
 * each run's own records whether the Architect's first answer became the contract. Requests in
 * `earlier` (an interrupted evaluation's runs) are not run again.
 */
export async function evaluateDesign(
  deps: DesignDeps,
  o: { requests: readonly { id: string; request: string }[]; earlier?: Map<string, DesignRun> },
): Promise<DesignReport> {
  const startedAt = new Date().toISOString();
  const rows: DesignReport['runs'] = [];
  let model = '';
  for (const [i, d] of o.requests.entries()) {
    let run = o.earlier?.get(d.id);
    if (!run) {
      const done = await designRun(deps, d);
      run = done.run;
      model ||= done.model;
      await deps.record?.(d.id, run);
    }
    rows.push({ id: d.id, request: d.request, run });
    const accepted = rows.filter((r) => r.run?.contract_first_try).length;
    deps.progress?.(
      `[${i + 1}/${o.requests.length}] ${d.id}: ${run.contract_first_try ? 'contract accepted first time' : `NOT accepted first time (${run.status}, ${run.architect_calls} call(s))`} in ${run.seconds.toFixed(1)} s | accepted so far ${accepted}/${rows.length}`,
    );
  }
  return designReport(rows, model || 'as recorded in the earlier runs', startedAt, o.requests.length);
}

export function designReport(
  rows: DesignReport['runs'],
  model: string,
  startedAt: string,
  planned: number,
): DesignReport {
  const ran = rows.filter((r) => r.run).map((r) => r.run!);
  const accepted = ran.filter((r) => r.contract_first_try).length;
  return {
    suite: 'design',
    model,
    double: model.startsWith('scripted'),
    started_at: startedAt,
    valid_contract_rate: ran.length ? round(accepted / ran.length, 4) : null,
    valid_contract_interval: wilson(accepted, ran.length),
    accepted,
    requests: ran.length,
    median_seconds: quantile(
      ran.map((r) => r.seconds).sort((a, b) => a - b),
      0.5,
    ),
    progress: { done: ran.length, planned },
    runs: rows,
  };
}

async function designRun(
  deps: DesignDeps,
  d: { id: string; request: string },
): Promise<{ run: DesignRun; model: string }> {
  const t0 = Date.now();
  const { run_id } = await deps.runs.start({
    todo_list: designPlan(d),
    options: { mode: 'crew', gates: { plan: false }, budget_usd: 1 },
  });
  for await (const event of deps.runs.events(run_id, { after: 0 })) {
    if (event.type === 'run_finished') break;
  }
  const seconds = (Date.now() - t0) / 1000;
  const view = await deps.runs.get(run_id);
  const model = 'model' in view && view.model ? describeModel(view.model) : '';
  const tasks = 'tasks' in view ? view.tasks : [];
  const architect = 'usage_by_role' in view ? view.usage_by_role.architect : undefined;
  const calls = (architect?.calls ?? 0) + (architect?.cache_hits ?? 0);
  const steps = tasks.flatMap((t) => t.history).filter((h) => h.agent === 'architect');
  const refused = steps
    .map((h) => h.summary.split(ARCHITECT_REFUSED_FIRST)[1])
    .find((reason) => reason !== undefined);
  const completed = view.status === 'completed' && tasks.every((t) => t.status === 'completed');
  const artifacts = 'result' in view ? view.result?.artifacts : undefined;
  let detail = 'error' in view && view.error ? String(view.error).slice(0, 300) : `run ${view.status}`;
  if (completed && artifacts) {
    const files = await deps.readFiles(artifacts.commit);
    const contracts = files
      .filter((f) => /^contracts\/.*\.json$/.test(f.path))
      .map((f) => Contract.safeParse(JSON.parse(f.content)));
    detail = contracts
      .flatMap((c) =>
        c.success ? c.data.interfaces.map((i) => i.name) : ['(a contract that does not parse)'],
      )
      .join(', ');
  }
  return {
    model,
    run: {
      id: d.id,
      run_id,
      web_ui: deps.webUi?.(run_id) ?? null,
      status: view.status,
      contract_first_try: completed && steps.length === 1 && calls === 1,
      architect_calls: calls,
      detail,
      refused: refused ?? null,
      seconds: round(seconds, 2),
      model_seconds: round(architect?.model_seconds ?? 0, 2),
      input_tokens: architect?.input_tokens ?? 0,
      output_tokens: architect?.output_tokens ?? 0,
      devcrew: deps.codeVersion ?? null,
    },
  };
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The design evaluation as Markdown: the figure first, then a row per request. */
export function designMarkdown(r: DesignReport): string {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  return [
    `# devcrew evaluation: the Architect on ${r.progress.planned} design requests`,
    '',
    r.double
      ? '> A test double answered: these figures test the harness, they are not a score.'
      : `Model: ${r.model}. Started ${r.started_at}.`,
    '',
    r.valid_contract_rate === null
      ? 'Valid contracts (accepted first time): no run yet.'
      : `Valid contracts (the Architect's first answer became the contract): **${r.accepted} of ${r.requests}, ${pct(r.valid_contract_rate)}** (95% interval ${pct(r.valid_contract_interval[0])}-${pct(r.valid_contract_interval[1])}); the plan asks for more than 90%. Median ${r.median_seconds ?? '-'} s a run.` +
        (r.progress.done < r.progress.planned
          ? ` **Partial: ${r.progress.done} of ${r.progress.planned} requests** (the same command with the same -o folder goes on).`
          : ''),
    '',
    '| request | accepted first time | Architect calls | s | interfaces, or why not |',
    '| --- | --- | ---: | ---: | --- |',
    ...r.runs.map((row) =>
      row.run
        ? `| ${row.id} | ${row.run.contract_first_try ? 'yes' : `no (${row.run.status})`} | ${row.run.architect_calls} | ${row.run.seconds.toFixed(0)} | ${cell(row.run.detail)}${row.run.refused ? `; first answer refused: ${cell(row.run.refused)}` : ''} |`
        : `| ${row.id} | not run | - | - | - |`,
    ),
    '',
  ].join('\n');
}
