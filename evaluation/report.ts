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
      (r.stopped ? ` Stopped early: ${r.stopped}.` : ''),
    '',
    '| mode | pass@1 | passed | completed | median s | p90 s | mean cost | mean model calls | mean fix iterations | sandbox s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...modes.map((m) => modeRow(r.modes[m]!)),
    '',
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

function modeRow(s: EvalModeSummary): string {
  return `| ${s.mode} | ${pct(s.pass_at_1)} | ${s.passed}/${s.problems} | ${s.completed} | ${num(s.median_seconds)} | ${num(s.p90_seconds)} | ${usd(s.mean_cost_usd)} | ${num(s.mean_model_calls)} | ${num(s.mean_fix_iterations, 2)} | ${num(s.sandbox_seconds)} |`;
}
