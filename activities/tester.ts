import { createHash } from 'node:crypto';
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  NO_USAGE,
  type AgentStepInput,
  type AgentStepResult,
  type BuildReport,
  type Finding,
  type ToolRun,
} from '../contracts';
import type { SandboxCommand } from '../sandbox/types';
import type { ActivityDeps } from './deps';
import { converting } from './failures';
import { stableTimestamp } from './model-step';
import { parseBandit, parseFlake8, parseMypy } from './reports/build-findings';
import { parseJunit, testReport } from './reports/junit';
import { runSandboxJob } from './sandbox-job';
import { isPython, readFiles } from './workspace';

const RESULTS = '.devcrew-results';

/** The Tester's agent_version and the build checker's, recorded in provenance. */
const TESTER_VERSION = 'tester@1';
const CHECKER_VERSION = 'build-checker@1';

/**
 * The sandbox-bound activities: the Coder's build checks (flake8, mypy --strict, bandit) and the
 * Tester's acceptance tests, each over the files of the task's commit, each report committed.
 */
export function createSandboxActivities(deps: ActivityDeps) {
  const provenance = (input: AgentStepInput, role: 'coder' | 'tester', version: string) => ({
    workflow_id: input.workflow_id,
    correlation_id: input.correlation_id,
    task_id: input.task.id,
    agent_role: role,
    agent_version: version,
    // No model answered: the hash is of the commands run, the "prompt" of a tool step.
    prompt_hash: `sha256:${createHash('sha256').update(`${version}:${input.base.commit}`).digest('hex')}`,
    model_name: 'none (sandbox tools)',
    timestamp: stableTimestamp(),
  });

  return {
    async checkBuild(input: AgentStepInput): Promise<AgentStepResult> {
      return converting(async () => {
        const files = await readFiles(deps.artifacts, input.base.commit, () => true, 5_000_000);
        const started = Date.now();
        const result = await runSandboxJob(deps.sandbox, {
          files,
          labels: { runId: input.workflow_id, taskId: input.task.id },
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
          metadata: provenance(input, 'coder', CHECKER_VERSION),
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

    async runTests(input: AgentStepInput): Promise<AgentStepResult> {
      return converting(async () => {
        const files = await readFiles(deps.artifacts, input.base.commit, () => true, 5_000_000);
        const given = input.task.acceptance_criteria.tests;
        const tests =
          given.length > 0
            ? given
            : files.some((f) => isPython(f.path) && f.path.startsWith('tests/'))
              ? [{ cmd: 'pytest -q', timeout_seconds: 300 }]
              : [];
        const commands: SandboxCommand[] = [{ cmd: `mkdir -p ${RESULTS}` }];
        tests.forEach((t, i) =>
          commands.push({ cmd: instrument(t.cmd, i), timeoutSeconds: t.timeout_seconds }),
        );
        const result = await runSandboxJob(deps.sandbox, {
          files,
          commands,
          labels: { runId: input.workflow_id, taskId: input.task.id },
          collect: tests.flatMap((_, i) => [`${RESULTS}/junit-${i}.xml`, `${RESULTS}/coverage-${i}.xml`]),
        });
        const collected = new Map(result.files.map((f) => [f.path, f.content.toString('utf8')]));
        const runs = result.commands.slice(1);
        const timedOut = runs.find((r) => r.status === 'timeout');
        if (timedOut) {
          throw ApplicationFailure.create({
            type: 'SANDBOX_TIMEOUT',
            message: `[SANDBOX_TIMEOUT] "${String(timedOut.cmd)}" ran ${(timedOut.durationMs / 1000).toFixed(0)} s; raise the test's timeout_seconds or make it faster`,
            nonRetryable: true,
          });
        }
        const oom = runs.find((r) => r.status === 'oom');
        if (oom) {
          throw ApplicationFailure.create({
            type: 'SANDBOX_OOM',
            message: `[SANDBOX_OOM] "${String(oom.cmd)}" ran out of memory in the sandbox; make it use less or raise the memory limit`,
            nonRetryable: true,
          });
        }
        const cases = tests.flatMap((_, i) => parseJunit(collected.get(`${RESULTS}/junit-${i}.xml`) ?? ''));
        const coverage = tests.map((_, i) => collected.get(`${RESULTS}/coverage-${i}.xml`)).find(Boolean);
        const report = testReport(cases, runs.reduce((s, r) => s + r.durationMs, 0) / 1000, coverage);
        const commandsFailed = runs.filter((r) => r.status !== 'ok');
        if (commandsFailed.length > 0 && report.summary.failed + report.summary.errors === 0) {
          // A command failed without a failing test case (collection error, syntax error): say so.
          report.cases.push({
            name: String(commandsFailed[0]!.cmd),
            classname: 'acceptance',
            status: 'error',
            duration_s: commandsFailed[0]!.durationMs / 1000,
            message: `${commandsFailed[0]!.stdout}\n${commandsFailed[0]!.stderr}`.trim().slice(-2000),
          });
          report.summary.errors += 1;
        }
        const passed =
          commandsFailed.length === 0 && report.summary.failed === 0 && report.summary.errors === 0;
        const reportPath = `reports/${input.task.id}/test_report.json`;
        const ref = await deps.artifacts.commit({
          parent: input.base.commit,
          subject: `Tests of ${input.task.id}${input.round ? ` (round ${input.round})` : ''}: ${report.summary.passed} passed, ${report.summary.failed} failed`,
          metadata: provenance(input, 'tester', TESTER_VERSION),
          files: [{ path: reportPath, content: `${JSON.stringify(report, null, 2)}\n` }],
        });
        return {
          ref,
          usage: NO_USAGE,
          passed,
          report_path: reportPath,
          test_summary: report.summary,
          summary: `${report.summary.passed} passed, ${report.summary.failed} failed, ${report.summary.errors} errors${report.coverage_percent !== null ? `, coverage ${report.coverage_percent}%` : ''}`,
        };
      });
    },
  };
}

/** pytest commands also write JUnit XML (and Cobertura coverage XML when --cov is asked for). */
function instrument(cmd: string, i: number): string {
  if (!/^(python3? -m )?pytest\b/.test(cmd.trim())) return cmd;
  const cov = /--cov\b/.test(cmd) ? ` --cov-report=xml:${RESULTS}/coverage-${i}.xml` : '';
  return `${cmd} --junitxml=${RESULTS}/junit-${i}.xml${cov}`;
}
