import readline from 'node:readline/promises';
import type { RunProgress, RunResult } from '../contracts';
import type { RunsService } from '../server/runs-service';
import { progressPrinter } from './progress-view';
import { usageLine } from './usage-line';

export interface FollowOptions {
  runs: RunsService;
  runId: string;
  /** Approve plan gates automatically. */
  approvePlan?: boolean;
  /** Ask at plan gates in the terminal. */
  interactive?: boolean;
  quiet?: boolean;
  write: (line: string) => void;
}

type Run = RunProgress & { result?: RunResult | null };

/** Follows a run to its end, printing progress; plan gates are approved, asked for, or explained. */
export async function followRun(o: FollowOptions): Promise<Run> {
  const print = progressPrinter(o.write);
  const asked = new Set<string>();
  for (;;) {
    const run = (await o.runs.get(o.runId)) as Run;
    if (!o.quiet) print(run);
    if (!['running', 'awaiting_approval'].includes(run.status)) return run;
    for (const gate of run.pending_gates ?? []) {
      if (asked.has(gate.gate_id)) continue;
      asked.add(gate.gate_id);
      if (gate.kind === 'plan' && o.approvePlan) {
        await o.runs.decide(o.runId, gate.gate_id, {
          decision: 'approve',
          approver: 'devcrew-cli (--approve-plan)',
        });
        o.write(`  approved ${gate.gate_id} (--approve-plan)`);
      } else if (o.interactive && process.stdin.isTTY) {
        const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
        const answer = (
          await rl.question(`  ${gate.waiting_for}: approve? [y/N, or a comment to reject with] `)
        ).trim();
        rl.close();
        const yes = /^y(es)?$/i.test(answer);
        await o.runs.decide(o.runId, gate.gate_id, {
          decision: yes ? 'approve' : 'reject',
          approver: process.env.USER ?? 'terminal',
          ...(yes || !answer || /^n(o)?$/i.test(answer) ? {} : { comment: answer }),
        });
      } else {
        o.write(
          `  to decide: devcrew approve ${o.runId} ${gate.gate_id}   (or reject, or the Web UI, or POST /v1/runs/${o.runId}/approvals/${gate.gate_id})`,
        );
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The closing report: where the code, the tests, the test report and the run in the Web UI are. */
export function finalReport(run: Run, webUi?: string): string {
  const r = run.result;
  const lines = [``, `run ${run.run_id} ${run.status}${run.error ? `: ${run.error}` : ''}`];
  lines.push(`  mode:         ${run.mode} (${run.mode_reason})`);
  if (r?.artifacts) {
    const code = r.artifacts.files.filter((f) => f.startsWith('codes/'));
    const tests = r.artifacts.files.filter((f) => f.startsWith('tests/'));
    lines.push(
      `  branch:       ${r.artifacts.branch} @ ${r.artifacts.commit.slice(0, 12)}`,
      `  code:         ${code.join(', ') || '(none)'}`,
      `  tests:        ${tests.join(', ') || '(none)'}`,
    );
  }
  if (r?.test_summary) {
    const s = r.test_summary;
    lines.push(
      `  test report:  ${r.test_report_path} (${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped, ${s.errors} errors)`,
    );
  }
  lines.push(
    `  model:        ${run.model ? (run.model.provider === 'scripted' ? 'scripted (a test double replaying recorded answers)' : `${run.model.provider} ${run.model.name}`) : 'none'}`,
    `  cost:         ${usageLine(run.usage, run.model)}${Object.entries(run.usage_by_role ?? {})
      .map(([role, u]) => `; ${role} $${u.cost_usd.toFixed(4)}`)
      .join('')}`,
    `  artifacts:    devcrew artifacts ${run.run_id}   (--export DIR to check the code out)`,
  );
  if (webUi) lines.push(`  Web UI:       ${webUi}/namespaces/default/workflows/${run.run_id}`);
  return lines.join('\n');
}
