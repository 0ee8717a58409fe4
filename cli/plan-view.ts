import type { RunProgress, TodoList } from '../contracts';
import { usageLine } from './usage-line';

/**
 * The plan as a person reads it before approving: each task's id, role, title, dependencies, acceptance
 * tests, timeout and whether it needs its own approval, and the budget.
 */
export function planTable(plan: TodoList, budgetUsd: number): string {
  const rows = plan.tasks.map((t) => ({
    id: t.id,
    role: t.agent_role,
    title: t.title,
    deps: t.dependencies.join(', ') || '-',
    tests: t.acceptance_criteria.tests.map((x) => x.cmd).join('; ') || '-',
    timeout: `${t.timeout_seconds} s`,
    approval: t.requires_approval ? 'yes' : 'no',
  }));
  const head = {
    id: 'task',
    role: 'role',
    title: 'title',
    deps: 'depends on',
    tests: 'acceptance tests',
    timeout: 'timeout',
    approval: 'approval',
  };
  const cols = Object.keys(head) as (keyof typeof head)[];
  const width = Object.fromEntries(
    cols.map((c) => [
      c,
      Math.min(
        c === 'title' || c === 'tests' ? 48 : 24,
        Math.max(head[c].length, ...rows.map((r) => r[c].length)),
      ),
    ]),
  ) as Record<keyof typeof head, number>;
  const cell = (text: string, w: number) => (text.length > w ? `${text.slice(0, w - 1)}…` : text.padEnd(w));
  const line = (r: typeof head) => `  ${cols.map((c) => cell(r[c], width[c])).join('  ')}`.trimEnd();
  return [
    `plan ${plan.todo_list_id} for "${plan.request}": ${plan.tasks.length} task(s), budget $${budgetUsd.toFixed(2)}`,
    line(head),
    ...rows.map(line),
  ].join('\n');
}

/** `devcrew status` for a person: the run, its plan, its tasks, its gates, its cost. */
export function statusView(p: RunProgress & { waiting_for?: unknown }): string {
  const lines = [
    `run ${p.run_id}: ${p.status}${p.error ? ` (${p.error})` : ''}`,
    `  mode:    ${p.mode} (${p.mode_reason})`,
    `  request: ${p.request}`,
    `  model:   ${p.model ? (p.model.provider === 'scripted' ? 'scripted (a test double replaying recorded answers)' : `${p.model.provider} ${p.model.name}`) : 'none yet'}`,
    `  cost:    ${usageLine(p.usage, p.model)}; budget $${p.budget_usd.toFixed(2)}`,
  ];
  if (p.plan) lines.push('', planTable(p.plan, p.budget_usd));
  if (p.tasks.length) {
    lines.push('', '  tasks:');
    for (const t of p.tasks) {
      const last = t.history.at(-1);
      lines.push(
        `    ${t.id.padEnd(22)} ${t.status.padEnd(17)} ${t.rounds ? `rounds ${t.rounds}  ` : ''}${last ? `${last.agent}: ${last.summary}` : ''}${t.error ? ` — ${t.error}` : ''}`,
      );
    }
  }
  for (const g of p.pending_gates) {
    lines.push(
      '',
      `  waiting at gate ${g.gate_id}: ${g.waiting_for}`,
      `    devcrew approve ${p.run_id} ${g.gate_id}   (or reject)`,
    );
  }
  return lines.join('\n');
}
