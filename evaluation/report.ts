import type { EvalModeSummary, EvalReport } from '../contracts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number | null, digits = 1) => (x === null ? '-' : x.toFixed(digits));
const usd = (x: number | null) => (x === null ? '-' : `$${x.toFixed(4)}`);

/** The evaluation as Markdown: the note first, a line per mode, then a row per problem with both modes. */
export function markdownReport(r: EvalReport): string {
  const modes = Object.keys(r.modes);
  const lines = [
    `> ${r.note}`,
    '',
    `# devcrew evaluation: ${r.suite}, ${r.problems.length} problem(s)`,
    '',
    `Model: ${r.model}. Started ${r.started_at}, ${r.wall_seconds} s wall time. Build policy: ${r.build_policy}.` +
      (r.stopped ? ` Stopped early: ${r.stopped}.` : '') +
      (r.progress && r.progress.done < r.progress.planned
        ? ` **Partial: ${r.progress.done} of ${r.progress.planned} runs scored so far** (the same command with the same -o folder goes on from here).`
        : ''),
    ...codeLine(r),
    '',
    '| mode | pass@1 | passed | completed | median s | p90 s | mean cost | mean model calls | mean fix iterations | sandbox s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...modes.map((m) => modeRow(r.modes[m]!)),
    '',
    ...(r.single_shot
      ? [
          `The model alone (one call with the single agent's prompt, no tests, no fix round): pass@1 ${pct(r.single_shot.pass_at_1)} (${r.single_shot.passed}/${r.single_shot.problems}), the floor both modes must beat.`,
          '',
        ]
      : []),
    ...firstCodeLine(r),
    ...pairedLines(r),
    ...(r.criteria ? criteriaTable(r) : []),
    `| problem | ${modes.map((m) => `${m} | ${m} s | ${m} run`).join(' | ')} |`,
    `| --- | ${modes.map(() => '--- | ---: | ---').join(' | ')} |`,
    ...r.problems.map(
      (p) =>
        `| ${p.task_id} \`${p.entry_point}\` | ${modes
          .map((m) => {
            const x = p.results[m];
            if (!x) return '- | - | -';
            const verdict = x.passed ? 'pass' : `fail (${x.hidden.replace('_', ' ')})`;
            const run = x.run_id ? (x.web_ui ? `[${x.run_id}](${x.web_ui})` : `\`${x.run_id}\``) : '-';
            return `${verdict} | ${x.seconds.toFixed(1)} | ${run}`;
          })
          .join(' | ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** The migration plan's success criteria beside their targets. */
function criteriaTable(r: EvalReport): string[] {
  const c = r.criteria!;
  const rate = (x: number | null) => (x === null ? 'no data' : pct(x));
  const ratio = (x: number | null) => (x === null ? 'no data' : `${x.toFixed(2)}x`);
  const crew = r.modes.crew;
  const single = r.modes['single-agent'];
  const interval = (s: EvalModeSummary | undefined) =>
    s?.pass_at_1_interval ? ` (95% ${pct(s.pass_at_1_interval[0])}-${pct(s.pass_at_1_interval[1])})` : '';
  const verdict = (ok: boolean | null) => (ok === null ? '-' : ok ? 'met' : 'NOT met');
  return [
    '| criterion (migration plan) | target | measured | |',
    '| --- | --- | --- | --- |',
    `| Architect: valid contracts (accepted first time) | > 90% | ${rate(c.valid_contract_rate)} | ${verdict(c.valid_contract_rate === null ? null : c.valid_contract_rate > 0.9)} |`,
    `| Coder: tests pass first try (before any Debugger round) | > 80% | ${rate(c.coder_first_try_pass_rate)} | ${verdict(c.coder_first_try_pass_rate === null ? null : c.coder_first_try_pass_rate > 0.8)} |`,
    `| Tester (crew): verdict agrees with the hidden check | > 95% | ${rate(c.tester_accuracy)}${c.single_agent_tests_accuracy != null ? ` (the single agent's own tests: ${rate(c.single_agent_tests_accuracy)})` : ''} | ${verdict(c.tester_accuracy === null ? null : c.tester_accuracy > 0.95)} |`,
    `| success rate, crew vs single agent | crew >= single | ${crew ? pct(crew.pass_at_1) : '-'}${interval(crew)} vs ${single ? pct(single.pass_at_1) : '-'}${interval(single)} | ${verdict(crew && single ? crew.pass_at_1 >= single.pass_at_1 : null)} |`,
    `| time to completion, crew/single per problem | <= 1.5x | median ${ratio(c.time_ratio_median)}, p90 ${ratio(c.time_ratio_p90)} | ${verdict(c.time_ratio_median === null ? null : c.time_ratio_median <= 1.5)} |`,
    `| cost per workflow (crew) | <= $1.00 | ${usd(c.cost_per_run_usd)}${c.cost_per_run_usd_on_gemini !== null ? ` (the same tokens on Gemini: ${usd(c.cost_per_run_usd_on_gemini)})` : ''} | ${verdict(c.cost_per_run_usd === null ? null : c.cost_per_run_usd <= 1)} |`,
    '',
    "Where the time goes (mean seconds per run: model, sandbox, the rest). Model and sandbox are the steps'",
    'own wall times, every attempt included (an answer that ran away and was retried by Temporal counts',
    'whole); rows from before steps were timed count only the usage their kept answers reported.',
    '',
    ...Object.keys(r.modes).map((m) => {
      const runs = r.problems.map((p) => p.results[m]).filter((x) => x?.run_id);
      const mean = (f: (x: NonNullable<(typeof runs)[number]>) => number) =>
        runs.length ? (runs.reduce((s, x) => s + f(x!), 0) / runs.length).toFixed(1) : '-';
      return `- ${m}: model ${mean((x) => x.time_split.model)} s, sandbox ${mean((x) => x.time_split.sandbox)} s, other ${mean((x) => x.time_split.other)} s`;
    }),
    '',
  ];
}

function modeRow(s: EvalModeSummary): string {
  return `| ${s.mode} | ${pct(s.pass_at_1)} | ${s.passed}/${s.problems} | ${s.completed} | ${num(s.median_seconds)} | ${num(s.p90_seconds)} | ${usd(s.mean_cost_usd)} | ${num(s.mean_model_calls)} | ${num(s.mean_fix_iterations, 2)} | ${num(s.sandbox_seconds)} |`;
}

/** Which devcrew code the scored rows ran on, so rows of different code are never mistaken for one run. */
function codeLine(r: EvalReport): string[] {
  const counts = new Map<string, number>();
  for (const p of r.problems)
    for (const run of Object.values(p.results)) {
      if (run.status === 'not_started') continue;
      const key = run.devcrew ?? 'not recorded';
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  if (counts.size === 0) return [];
  const parts = [...counts].map(
    ([v, n]) => `${v === 'not recorded' ? v : `\`${v}\``} (${n} run${n === 1 ? '' : 's'})`,
  );
  return ['', `devcrew code the runs ran on: ${parts.join(', ')}.`];
}

/**
 * The modes two by two on the same problems: which passed only under one of them, and whether that
 * split says one is better (exact McNemar, two-sided, at 5%) or is within what chance gives.
 */
function pairedLines(r: EvalReport): string[] {
  const pairs = (r.paired ?? []).filter((x) => x.problems > 0);
  if (!pairs.length) return [];
  return [
    'Paired on the same problems (exact McNemar test on the problems only one mode passed):',
    '',
    ...pairs.map((x) => {
      const ahead = x.only_a > x.only_b ? x.a : x.only_b > x.only_a ? x.b : null;
      const reading =
        ahead === null
          ? 'neither ahead'
          : x.p_value < 0.05
            ? `${ahead} better (p < 0.05)`
            : `${ahead} ahead by ${Math.abs(x.only_a - x.only_b)}, within chance (p >= 0.05)`;
      return `- ${x.a} vs ${x.b} on ${x.problems} problem(s): only ${x.a} passed ${x.only_a}, only ${x.b} passed ${x.only_b}, both ${x.both}, neither ${x.neither}; p = ${x.p_value.toFixed(3)}: ${reading}.`;
    }),
    '',
  ];
}

/**
 * Each mode's first tested code against the hidden check, beside the model alone: what the fix rounds
 * start from, and so what they add.
 */
function firstCodeLine(r: EvalReport): string[] {
  const parts = Object.values(r.modes)
    .filter((s) => s.first_code_pass_rate != null && s.first_code_runs)
    .map((s) => `${s.mode} ${pct(s.first_code_pass_rate!)} of ${s.first_code_runs} run(s)`);
  if (!parts.length) return [];
  return [
    `The first tested code (before any fix round) passing the hidden check: ${parts.join(', ')}${r.single_shot ? `; the model alone ${pct(r.single_shot.pass_at_1)}` : ''}.`,
    '',
  ];
}
