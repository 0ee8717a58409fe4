import readline from 'node:readline/promises';
import type { Actor, ProviderWait, RunView } from '../contracts';
import type { RunsService } from '../server/runs-service';
import { planTable } from './plan-view';
import { usageLine } from './usage-line';

export interface FollowOptions {
  runs: RunsService;
  runId: string;
  /** Who decides the gates this command decides (the CLI's caller). */
  actor?: Actor;
  /** Approve plan gates automatically. */
  approvePlan?: boolean;
  /** Ask at plan gates in the terminal. */
  interactive?: boolean;
  quiet?: boolean;
  write: (line: string) => void;
}

type Run = RunView;

/**
 * Follows a run to its end on its event stream (the same as `GET /v1/runs/{id}/events`), printing each
 * event as it happens. At a plan gate the plan is shown in full, then approved (`--approve-plan`, and the
 * log says what was approved), asked for in a terminal, or explained.
 */
export async function followRun(o: FollowOptions): Promise<Run> {
  const onWait = (w: ProviderWait | null) =>
    o.quiet ||
    o.write(
      w
        ? `  waiting for the model provider since ${w.since} (${w.activity}, ${w.attempts} failed attempt(s)): ${w.last_error.slice(0, 200)}`
        : '  the model provider answers again',
    );
  for await (const event of o.runs.events(o.runId, { after: 0, onWait })) {
    if (!o.quiet) o.write(`  ${event.at.slice(11, 19)} ${event.message}`);
    if (event.type !== 'gate_opened' || !event.gate_id) continue;
    const run = await o.runs.get(o.runId);
    const gate =
      'pending_gates' in run ? run.pending_gates.find((g) => g.gate_id === event.gate_id) : undefined;
    if (!gate || !('plan' in run)) continue; // decided already (another person, a timeout)
    if (gate.kind === 'plan' && run.plan) o.write(planTable(run.plan, run.budget_usd));
    if (gate.kind === 'plan' && o.approvePlan) {
      await o.runs.decide(
        o.runId,
        gate.gate_id,
        { decision: 'approve', approver: 'devcrew-cli (--approve-plan)' },
        o.actor,
      );
      o.write(
        `  approved ${gate.gate_id}${run.plan ? ` (plan ${run.plan.todo_list_id}, ${run.plan.tasks.length} tasks)` : ''} with --approve-plan`,
      );
    } else if (o.interactive && process.stdin.isTTY) {
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
      const answer = (
        await rl.question(`  ${gate.waiting_for}: approve? [y/N, or a comment to reject with] `)
      ).trim();
      rl.close();
      const yes = /^y(es)?$/i.test(answer);
      await o.runs
        .decide(
          o.runId,
          gate.gate_id,
          {
            decision: yes ? 'approve' : 'reject',
            approver: process.env.USER ?? 'terminal',
            ...(yes || !answer || /^n(o)?$/i.test(answer) ? {} : { comment: answer }),
          },
          o.actor,
        )
        .catch((err: unknown) => o.write(`  could not decide ${gate.gate_id}: ${(err as Error).message}`));
    } else {
      o.write(
        `  to decide: devcrew approve ${o.runId} ${gate.gate_id}   (or reject, or the Web UI, or POST /v1/runs/${o.runId}/approvals/${gate.gate_id})`,
      );
    }
  }
  return o.runs.get(o.runId);
}

/** The closing report: where the code, the tests, the test report and the run in the Web UI are. */
export function finalReport(view: Run, webUi?: string, exported?: string): string {
  const error = 'error' in view && view.error ? `: ${view.error}` : '';
  const lines = [``, `run ${view.run_id} ${view.status}${error}`];
  if (!('usage' in view)) return lines.join('\n'); // it failed before it could report anything else
  const run = view;
  const r = run.result;
  lines.push(`  mode:         ${run.mode} (${run.mode_reason})`);
  if (r?.artifacts) {
    const code = r.artifacts.files.filter((f) => f.startsWith('codes/'));
    const tests = r.artifacts.files.filter((f) => f.startsWith('tests/'));
    lines.push(
      `  branch:       ${r.artifacts.branch} @ ${r.artifacts.commit.slice(0, 12)}`,
      `  code:         ${code.join(', ') || '(none)'}`,
      `  tests:        ${tests.join(', ') || '(none)'}`,
    );
    const p = r.artifacts.publish;
    if (p?.status === 'pushed') lines.push(`  published:    ${p.url} (${p.refs.length} refs)`);
    else if (p) lines.push(`  NOT published: ${p.error ?? p.url} (the results are in the store)`);
  }
  if (r?.test_summary) {
    const s = r.test_summary;
    lines.push(
      `  test report:  ${r.test_report_path} (${s.tests !== undefined ? `${s.tests} test(s): ` : ''}${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped, ${s.errors} errors)`,
    );
  }
  lines.push(
    `  model:        ${run.model ? (run.model.provider === 'scripted' ? 'scripted (a test double replaying recorded answers)' : `${run.model.provider} ${run.model.name}`) : 'none'}`,
    `  cost:         ${usageLine(run.usage, run.model)}${Object.entries(run.usage_by_role)
      .map(([role, u]) => `; ${role} $${u.cost_usd.toFixed(4)}`)
      .join('')}`,
    exported
      ? `  files:        ${exported}   (the integration branch's files)`
      : `  artifacts:    devcrew artifacts ${run.run_id}   (--export DIR to check the code out)`,
  );
  if (webUi) lines.push(`  Web UI:       ${webUi}/namespaces/default/workflows/${run.run_id}`);
  return lines.join('\n');
}
