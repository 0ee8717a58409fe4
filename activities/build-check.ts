import { log } from '@temporalio/activity';
import {
  NO_USAGE,
  type AgentStepInput,
  type AgentStepResult,
  type BuildReport,
  type Finding,
  type ToolRun,
} from '../contracts';
import type { ActivityDeps } from './deps';
import { converting } from './failures';
import { provenance, toolStep } from './provenance';
import { parseBandit, parseFlake8, parseMypy } from './reports/build-findings';
import { runSandboxJob } from './sandbox-job';
import { readFiles } from './workspace';

/** The build checker's agent_version, recorded in provenance. */
const CHECKER_VERSION = 'build-checker@1';

/**
 * The Coder's build checks, run in the sandbox over the files of the task's commit: flake8,
 * `mypy --strict` and bandit, parsed into findings; the BuildReport is committed beside the code.
 */
export function createBuildCheck(deps: ActivityDeps) {
  return {
    async checkBuild(input: AgentStepInput): Promise<AgentStepResult> {
      return converting(async () => {
        const files = await readFiles(deps.artifacts, input.base.commit, () => true, 5_000_000);
        const started = Date.now();
        const result = await runSandboxJob(deps.sandbox, {
          files,
          labels: { runId: input.run_id, taskId: input.task.id },
          limits: { timeoutSeconds: Math.min(input.task.timeout_seconds, 300) },
          commands: [
            { cmd: 'flake8 .' },
            { cmd: 'mypy --strict --show-column-numbers --no-color-output --no-error-summary .' },
            { cmd: 'bandit -q -r . -x ./tests -f json' },
          ],
        });
        const [flake8, mypy, bandit] = result.commands;
        const findings: Finding[] = [
          ...parseFlake8(flake8?.stdout ?? ''),
          ...parseMypy(mypy?.stdout ?? ''),
          ...parseBandit(bandit?.stdout ?? ''),
        ];
        const tools: ToolRun[] = (['flake8', 'mypy', 'bandit'] as const).map((tool, i) => {
          const c = result.commands[i];
          return {
            tool,
            exit_code: c?.exitCode ?? null,
            status: c?.status ?? 'sandbox_error',
            duration_ms: c?.durationMs ?? 0,
          };
        });
        const broken = tools.filter((t) => t.status !== 'ok' && t.status !== 'failed');
        const passed = broken.length === 0 && !findings.some((f) => f.severity === 'error');
        const report: BuildReport = { task_id: input.task.id, passed, tools, findings };
        const reportPath = `reports/${input.task.id}/build_report.json`;
        const ref = await deps.artifacts.commit({
          parent: input.base.commit,
          subject: `Build checks of ${input.task.id}: ${passed ? 'clean' : `${findings.length} finding(s)`}`,
          metadata: provenance(
            input.run_id,
            input.task.id,
            toolStep('coder', CHECKER_VERSION, input.base.commit),
          ),
          files: [{ path: reportPath, content: `${JSON.stringify(report, null, 2)}\n` }],
        });
        log.info('build checked', {
          task: input.task.id,
          passed,
          findings: findings.length,
          ms: Date.now() - started,
        });
        return {
          ref,
          usage: NO_USAGE,
          passed,
          report_path: reportPath,
          summary: passed
            ? 'flake8, mypy --strict and bandit clean'
            : `${findings.filter((f) => f.severity === 'error').length} error(s): ${findings
                .slice(0, 3)
                .map((f) => `${f.tool} ${f.code} ${f.path}:${f.line}`)
                .join(
                  '; ',
                )}${broken.length ? `; tools that did not finish: ${broken.map((b) => `${b.tool} ${b.status}`).join(', ')}` : ''}`,
        };
      });
    },
  };
}
